import type { Middleware } from '@rws/core';
import { basicAuth } from '@rws/middleware/auth';
import type { ServerConfig } from '../config/server-config.js';

/** True when the configuration asks for basic auth on the whole site. */
export function hasSiteAuth(config: ServerConfig): boolean {
  return Object.keys(config.basicAuth).length > 0 || config.basicAuthFile !== null;
}

/**
 * Basic auth for the whole site from `basic_auth`, `basic_auth_file` and `basic_auth_realm`,
 * or null when neither users nor a file are set. @rws/middleware's `basicAuth` fails closed: an
 * unreadable or empty htpasswd file throws an `RwsError` here, so `rws` never starts open.
 */
export function siteAuth(config: ServerConfig): Middleware | null {
  if (!hasSiteAuth(config)) return null;
  return basicAuth({
    users: Object.keys(config.basicAuth).length > 0 ? config.basicAuth : undefined,
    htpasswdFile: config.basicAuthFile ?? undefined,
    realm: config.basicAuthRealm,
  });
}
