/**
 * The SQL session store of the gateway's `[session] store = "sql"`: the `rws` binary opens it
 * on the database `rws db` and `rws jobs` use (`RWS_DB_URL` / `RWS_DB_*`, else `[database] url`)
 * and hands it to `createGateway`, which leaves it open; the binary closes it on shutdown.
 */
import { dirname } from 'node:path';
import type { SessionStore } from '@rws/middleware/session';
import { createSqlSessionStore } from '@rws/middleware/session-sql';
import { createDb } from '@rws/orm';
import type { ServerConfig } from './config/server-config.js';
import { resolveDatabase } from './database-config.js';

/** `[session] store = "sql"` asked for, but no database could be resolved for it. */
export class GatewaySessionStoreError extends Error {
  override name = 'GatewaySessionStoreError';
}

/**
 * The store when the config file's `[session]` says `store = "sql"`, else undefined. Throws
 * `GatewaySessionStoreError` naming what is missing. Closing the store closes its database.
 */
export function openGatewaySessionStore(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>>,
): SessionStore | undefined {
  const session = config.proxy?.['session'] as { store?: unknown } | undefined;
  if (config.configFile === null || session?.store !== 'sql') return undefined;
  try {
    const db = createDb(
      resolveDatabase({ config: config.configFile }, { env, cwd: dirname(config.configFile) }),
    );
    return createSqlSessionStore({ db, ownsDb: true });
  } catch (err) {
    throw new GatewaySessionStoreError(
      `session.store: store = "sql": ${err instanceof Error ? err.message : String(err)}`,
      { cause: err },
    );
  }
}
