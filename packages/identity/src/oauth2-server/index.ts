/** @module */

export type {
  AuthorizationServerClient,
  AuthorizationServerOptions,
} from './authorization-server.js';
export { authorizationServer } from './authorization-server.js';
