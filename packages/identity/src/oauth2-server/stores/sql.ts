/**
 * `createSqlOAuth2Store()`: the authorization server's clients, grants, codes and refresh
 * tokens in three tables of an @rws/orm database (PostgreSQL, MySQL/MariaDB or SQLite). A
 * subpath of its own because it needs `@rws/orm`, an optional peer dependency.
 *
 * @module
 */
import { RwsError } from '@rws/core';
import { type Db, sql } from '@rws/orm';
import { ERROR_CODES } from '../../errors.js';
import type { OAuth2GrantRecord, OAuth2Store, OAuth2TokenRecord } from '../oauth2-store.js';

/** Options of `createSqlOAuth2Store()`. */
export interface SqlOAuth2StoreOptions {
  /** An @rws/orm database. The tables are created on first use (`create table if not exists`). */
  db: Db;
  /** Table name prefix: letters, digits and `_`. Default `rws_oauth2_` (`…clients`, `…grants`, `…tokens`). */
  tablePrefix?: string | undefined;
  /** Close `db` when the store closes. Default false: the caller owns the Db. */
  ownsDb?: boolean | undefined;
}

// Columns are selected under names without `_`, so a Db with a camel-case plugin reads them
// the same.
// biome-ignore lint/suspicious/noExplicitAny: rows of raw SQL are untyped.
type Row = Record<string, any>;

function storeFailed(what: string, cause: unknown): RwsError {
  return new RwsError(ERROR_CODES.OAUTH2_STORE_FAILED, `oauth2 store: ${what} failed`, {
    status: 500,
    cause,
  });
}

/**
 * An `OAuth2Store` on an @rws/orm database, so several server instances share clients and
 * tokens. Codes and refresh tokens are stored by SHA-256 hash, client secrets as PBKDF2
 * hashes; using a token is one conditional `update`, so two racing uses of one refresh token
 * cannot both win. Expired rows are deleted as new tokens are stored.
 *
 * @example
 * ```ts
 * import { createDb } from '@rws/orm';
 * import { createSqlOAuth2Store } from '@rws/identity/oauth2-server/sql';
 * const store = createSqlOAuth2Store({ db: createDb({ dialect: 'postgres', url: process.env.DATABASE_URL ?? '' }) });
 * ```
 */
export function createSqlOAuth2Store(options: SqlOAuth2StoreOptions): OAuth2Store {
  const db = options?.db;
  if (db === undefined || db === null || typeof db.kysely !== 'object') {
    throw new RwsError(
      ERROR_CODES.OAUTH2_INVALID_OPTIONS,
      'createSqlOAuth2Store: db must be an @rws/orm Db (createDb())',
    );
  }
  const prefix = options.tablePrefix ?? 'rws_oauth2_';
  if (typeof prefix !== 'string' || !/^[A-Za-z][A-Za-z0-9_]{0,40}$/.test(prefix)) {
    throw new RwsError(
      ERROR_CODES.OAUTH2_INVALID_OPTIONS,
      'createSqlOAuth2Store: tablePrefix must be letters, digits and _ starting with a letter',
    );
  }
  const k = db.kysely;
  const isMysql = db.dialect === 'mysql';
  const C = sql.raw(`${prefix}clients`);
  const G = sql.raw(`${prefix}grants`);
  const T = sql.raw(`${prefix}tokens`);
  const key = db.dialect === 'sqlite' ? 'text' : 'varchar(191)';
  const text = isMysql ? 'mediumtext' : 'text';

  let ready: Promise<void> | undefined;
  const ensureTables = (): Promise<void> => {
    ready ??= (async () => {
      for (const ddl of [
        `create table if not exists ${prefix}clients (id ${key} primary key, data ${text} not null)`,
        `create table if not exists ${prefix}grants (id ${key} primary key, client_id ${key} not null, data ${text} not null, revoked integer not null, expires bigint not null)`,
        `create table if not exists ${prefix}tokens (hash ${key} primary key, grant_id ${key} not null, data ${text} not null, used integer not null, expires bigint not null)`,
      ])
        await sql.raw(ddl).execute(k);
    })().catch((cause) => {
      ready = undefined; // the next call tries again (the database may come back)
      throw storeFailed(`creating tables ${prefix}*`, cause);
    });
    return ready;
  };
  const run = async (
    what: string,
    query: ReturnType<typeof sql>,
  ): Promise<{ rows: Row[]; affected: bigint }> => {
    await ensureTables();
    try {
      const r = await query.execute(k);
      return { rows: r.rows as Row[], affected: r.numAffectedRows ?? 0n };
    } catch (cause) {
      throw storeFailed(what, cause);
    }
  };
  const upsert = (
    table: typeof C,
    keyCol: string,
    cols: string[],
    values: unknown[],
  ): ReturnType<typeof sql> => {
    const names = sql.raw(cols.join(', '));
    const list = sql.join(values.map((v) => sql`${v}`));
    const updates = sql.raw(
      cols
        .filter((c) => c !== keyCol)
        .map((c) => (isMysql ? `${c} = values(${c})` : `${c} = excluded.${c}`))
        .join(', '),
    );
    return isMysql
      ? sql`insert into ${table} (${names}) values (${list}) on duplicate key update ${updates}`
      : sql`insert into ${table} (${names}) values (${list}) on conflict (${sql.raw(keyCol)}) do update set ${updates}`;
  };
  const parse = (row: Row, what: string): Record<string, unknown> => {
    try {
      return JSON.parse(String(row['data'])) as Record<string, unknown>;
    } catch (cause) {
      throw storeFailed(`reading a ${what} (not JSON)`, cause);
    }
  };
  const grantOf = (row: Row): OAuth2GrantRecord => ({
    ...(parse(row, 'grant') as Omit<OAuth2GrantRecord, 'isRevoked' | 'expiresAt'>),
    id: String(row['id']),
    expiresAt: Number(row['expires']),
    isRevoked: Number(row['revoked']) !== 0,
  });
  const tokenOf = (row: Row): OAuth2TokenRecord => ({
    ...(parse(row, 'token') as Pick<OAuth2TokenRecord, 'kind' | 'data'>),
    grantId: String(row['gid']),
    expiresAt: Number(row['expires']),
  });
  const close = async (): Promise<void> => {
    if (options.ownsDb === true) await db.close();
  };

  return {
    name: `sql:${db.dialect}`,
    async getClient(id) {
      const { rows } = await run('reading a client', sql`select data from ${C} where id = ${id}`);
      return rows[0] === undefined ? null : (parse(rows[0], 'client') as never);
    },
    async putClient(client) {
      await run(
        'storing a client',
        upsert(C, 'id', ['id', 'data'], [client.clientId, JSON.stringify(client)]),
      );
    },
    async getGrant(id) {
      const { rows } = await run(
        'reading a grant',
        sql`select id, data, revoked, expires from ${G} where id = ${id}`,
      );
      return rows[0] === undefined ? null : grantOf(rows[0]);
    },
    async putGrant(grant) {
      await run('sweeping', sql`delete from ${G} where expires <= ${Date.now()}`);
      const data = JSON.stringify({ clientId: grant.clientId, sub: grant.sub, scope: grant.scope });
      const values = sql`(${grant.id}, ${grant.clientId}, ${data}, ${grant.isRevoked ? 1 : 0}, ${grant.expiresAt})`;
      // Insert only: a grant revoked before it was stored (a racing code replay) stays revoked.
      await run(
        'storing a grant',
        isMysql
          ? sql`insert ignore into ${G} (id, client_id, data, revoked, expires) values ${values}`
          : sql`insert into ${G} (id, client_id, data, revoked, expires) values ${values} on conflict (id) do nothing`,
      );
    },
    async revokeGrant(id, clientId, expiresAt) {
      const { affected } = await run(
        'revoking a grant',
        sql`update ${G} set revoked = 1 where id = ${id}`,
      );
      if (affected > 0n) return;
      const data = JSON.stringify({ clientId, sub: '', scope: '' });
      await run(
        'revoking a grant',
        upsert(
          G,
          'id',
          ['id', 'client_id', 'data', 'revoked', 'expires'],
          [id, clientId, data, 1, expiresAt],
        ),
      );
    },
    async putToken(hash, token) {
      await run('sweeping', sql`delete from ${T} where expires <= ${Date.now()}`);
      const data = JSON.stringify({ kind: token.kind, data: token.data });
      await run(
        'storing a token',
        sql`insert into ${T} (hash, grant_id, data, used, expires) values (${hash}, ${token.grantId}, ${data}, 0, ${token.expiresAt})`,
      );
    },
    async getToken(hash) {
      const { rows } = await run(
        'reading a token',
        sql`select grant_id as gid, data, used, expires from ${T} where hash = ${hash}`,
      );
      const row = rows[0];
      return row === undefined ? null : { token: tokenOf(row), isUsed: Number(row['used']) !== 0 };
    },
    async useToken(hash) {
      // The conditional update is the atomic step: of two racing uses exactly one changes a row.
      const { affected } = await run(
        'using a token',
        sql`update ${T} set used = 1 where hash = ${hash} and used = 0`,
      );
      const { rows } = await run(
        'reading a token',
        sql`select grant_id as gid, data, used, expires from ${T} where hash = ${hash}`,
      );
      const row = rows[0];
      return row === undefined ? null : { token: tokenOf(row), isFirstUse: affected > 0n };
    },
    close,
    [Symbol.asyncDispose]: close,
  };
}
