import { RwsError } from '@rws/core';
import type { ServerConfig } from './config/schema.js';
import { ERROR_CODES } from './errors.js';

/**
 * Starts serving `config`. Not wired yet: @rws/server lands with the HTTP/1.1 transport, and
 * this will build the app (static files, CORS, logging) and hand it to `serve()`.
 */
export async function startServer(config: ServerConfig): Promise<never> {
  throw new RwsError(
    ERROR_CODES.SERVER_NOT_WIRED,
    `the server is not wired yet (would listen on ${config.ip}:${config.port}); run \`rws check\` to validate the configuration`,
  );
}
