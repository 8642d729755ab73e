import { once } from 'node:events';
import { createServer } from 'node:net';
import { isRwsError } from '@rws/core';
import { requireCapability } from '@rws/test-helpers';
import { sql } from 'kysely';
import { beforeAll, describe, expect, it } from 'vitest';
import { createDb, dbConfigFromEnv, linkHeader, type OrmError } from '../src/index.js';
import { splitSql } from '../src/internal/split-sql.js';
import { MYSQL_URL, POSTGRES_URL } from './targets.js';

async function isReachable(url: string, dialect: 'postgres' | 'mysql'): Promise<boolean> {
  const db = createDb({ dialect, url });
  try {
    await sql`select 1`.execute(db.kysely);
    return true;
  } catch {
    return false;
  } finally {
    await db.close();
  }
}

/** A loopback port nothing listens on: bound, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as { port: number };
  server.close();
  await once(server, 'close');
  return port;
}

let hasPostgres = false;
let hasMysql = false;
beforeAll(async () => {
  [hasPostgres, hasMysql] = await Promise.all([
    isReachable(POSTGRES_URL, 'postgres'),
    isReachable(MYSQL_URL, 'mysql'),
  ]);
});

describe('dbConfigFromEnv', () => {
  it('reads RWS_DB_URL first, with the dialect from its scheme', () => {
    expect(
      dbConfigFromEnv({
        RWS_DB_URL: 'postgresql://u@h:1/db',
        RWS_DB_BACKEND: 'mysql',
        RWS_DB_POOL_SIZE: '4',
      }),
    ).toEqual({ dialect: 'postgres', url: 'postgresql://u@h:1/db', pool: { size: 4 } });
    expect(dbConfigFromEnv({ RWS_DB_URL: 'mariadb://root@127.0.0.1/test' })?.dialect).toBe('mysql');
  });

  it('reads RWS_DB_BACKEND and the separate fields', () => {
    expect(
      dbConfigFromEnv({
        RWS_DB_BACKEND: 'postgres',
        RWS_DB_HOST: '127.0.0.1',
        RWS_DB_PORT: '5432',
        RWS_DB_USER: 'postgres',
        RWS_DB_PASSWORD: '',
        RWS_DB_NAME: 'test',
      }),
    ).toEqual({
      dialect: 'postgres',
      options: { host: '127.0.0.1', port: 5432, user: 'postgres', password: '', database: 'test' },
    });
    expect(dbConfigFromEnv({ RWS_DB_BACKEND: 'sqlite', RWS_DB_NAME: '/tmp/x.db' })).toEqual({
      dialect: 'sqlite',
      options: { filename: '/tmp/x.db' },
    });
    expect(dbConfigFromEnv({})).toBeUndefined();
  });

  it.each([
    [{ RWS_DB_BACKEND: 'oracle' }, 'RWS_DB_BACKEND'],
    [{ RWS_DB_BACKEND: 'mysql', RWS_DB_PORT: '70000' }, 'RWS_DB_PORT'],
    [{ RWS_DB_BACKEND: 'mysql', RWS_DB_POOL_SIZE: '0' }, 'RWS_DB_POOL_SIZE'],
    [{ RWS_DB_URL: 'http://example/db' }, 'scheme "http"'],
  ])('rejects %o naming %s', (env, what) => {
    let err: unknown;
    try {
      dbConfigFromEnv(env);
    } catch (e) {
      err = e;
    }
    expect(isRwsError(err, 'RWS_ORM_INVALID_CONFIG')).toBe(true);
    expect((err as Error).message).toContain(what);
  });

  it('connects to PostgreSQL from env fields', async (ctx) => {
    requireCapability(ctx, hasPostgres, 'PostgreSQL on 127.0.0.1:5432');
    const config = dbConfigFromEnv({
      RWS_DB_BACKEND: 'postgres',
      RWS_DB_HOST: '127.0.0.1',
      RWS_DB_USER: 'postgres',
      RWS_DB_NAME: 'test',
      RWS_DB_POOL_SIZE: '2',
    });
    await using db = createDb(config as NonNullable<typeof config>);
    const r = await sql<{ name: string }>`select current_database() as name`.execute(db.kysely);
    expect(r.rows[0]?.name).toBe('test');
  });
});

describe('createDb', () => {
  it('opens several independent databases in one process', async () => {
    await using a = createDb.memory();
    await using b = createDb({ dialect: 'sqlite', url: 'sqlite::memory:' });
    await sql`create table only_in_a (id integer)`.execute(a.kysely);
    await expect(sql`select * from only_in_a`.execute(b.kysely)).rejects.toThrow(/no such table/);
    expect(
      (await sql<{ n: bigint }>`select count(*) as n from only_in_a`.execute(a.kysely)).rows[0]?.n,
    ).toBe(0n);
  });

  it('rejects a URL whose scheme contradicts the dialect', () => {
    let err: unknown;
    try {
      createDb({ dialect: 'postgres', url: 'mysql://root@127.0.0.1/test' });
    } catch (e) {
      err = e;
    }
    expect(isRwsError(err, 'RWS_ORM_INVALID_CONFIG')).toBe(true);
  });

  it.each([
    ['postgres', (port: number) => `postgres://postgres:s3cret@127.0.0.1:${port}/appdb`],
    ['mysql', (port: number) => `mysql://root:s3cret@127.0.0.1:${port}/appdb`],
  ] as const)(
    '%s: a connection failure names host, port and database, not the password',
    async (dialect, url) => {
      const port = await closedPort();
      await using db = createDb({ dialect, url: url(port) });
      const err = await sql`select 1`.execute(db.kysely).catch((e: unknown) => e);
      expect(isRwsError(err, 'RWS_ORM_CONNECTION_FAILED')).toBe(true);
      expect((err as OrmError).message).toContain(
        `${dialect} database "appdb" at 127.0.0.1:${port}`,
      );
      expect((err as OrmError).message).not.toContain('s3cret');
      expect((err as OrmError).status).toBe(503);
    },
  );

  it('sqlite: a file that cannot be opened is named', async () => {
    await using db = createDb({
      dialect: 'sqlite',
      options: { filename: '/nonexistent-dir/x/app.db' },
    });
    const err = await sql`select 1`.execute(db.kysely).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_ORM_CONNECTION_FAILED')).toBe(true);
    expect((err as Error).message).toContain('sqlite database "/nonexistent-dir/x/app.db"');
  });

  it('mysql: connects with separate options too', async (ctx) => {
    requireCapability(ctx, hasMysql, 'MariaDB/MySQL on 127.0.0.1:3306');
    await using db = createDb({
      dialect: 'mysql',
      options: { host: '127.0.0.1', port: 3306, user: 'root', database: 'test' },
      pool: { size: 2 },
    });
    const r = await sql<{ name: string }>`select database() as name`.execute(db.kysely);
    expect(r.rows[0]?.name).toBe('test');
  });
});

describe('linkHeader (RFC 8288)', () => {
  it('keeps existing parameters, orders rels and omits absent ones', () => {
    expect(
      linkHeader('https://api.example/items?q=a%20b&page=9', {
        next: { page: 2, per_page: 10 },
        first: { page: 1, per_page: 10 },
      }),
    ).toBe(
      '<https://api.example/items?q=a+b&page=1&per_page=10>; rel="first", <https://api.example/items?q=a+b&page=2&per_page=10>; rel="next"',
    );
    expect(linkHeader('https://api.example/', {})).toBe('');
  });
});

describe('splitSql', () => {
  it('splits on semicolons outside quotes, dollar quotes and comments', () => {
    expect(
      splitSql(
        "create table a (x text default ';');\n-- c; d\ninsert into a values ('it''s;');\n/* ; */ do $fn$ begin perform 1; end $fn$;\n\n-- trailing comment\n",
      ),
    ).toEqual([
      "create table a (x text default ';')",
      "-- c; d\ninsert into a values ('it''s;')",
      '/* ; */ do $fn$ begin perform 1; end $fn$',
    ]);
  });
});
