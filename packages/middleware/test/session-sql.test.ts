import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, isRwsError, json } from '@rws/core';
import { getSession, session } from '@rws/middleware/session';
import { createSqlSessionStore } from '@rws/middleware/session-sql';
import { createDb, type Db, sql } from '@rws/orm';
import { describe, expect, it, onTestFinished } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';
import { runSessionStoreConformance } from './session-store-suite.js';

const SECRET = 'session-secret-session-secret-0002';
const uniqueTable = () => `sess_${process.pid}_${randomBytes(4).toString('hex')}`;

interface Target {
  readonly name: string;
  readonly requires: string;
  open(): Db;
  cleanup?(): void;
}

const sqliteFile = join(
  tmpdir(),
  `rws-sessions-${process.pid}-${randomBytes(4).toString('hex')}.db`,
);
const TARGETS: Target[] = [
  { name: 'sqlite memory', requires: 'better-sqlite3', open: () => createDb.memory() },
  {
    name: 'sqlite file',
    requires: 'better-sqlite3',
    open: () => createDb({ dialect: 'sqlite', options: { filename: sqliteFile } }),
    cleanup: () => {
      for (const f of [sqliteFile, `${sqliteFile}-wal`, `${sqliteFile}-shm`])
        rmSync(f, { force: true });
    },
  },
  {
    name: 'postgres',
    requires: 'PostgreSQL on 127.0.0.1:5432 (database test)',
    open: () => createDb({ dialect: 'postgres', url: 'postgres://postgres@127.0.0.1:5432/test' }),
  },
  {
    name: 'mariadb',
    requires: 'MariaDB/MySQL on 127.0.0.1:3306 (database test)',
    open: () => createDb({ dialect: 'mysql', url: 'mysql://root@127.0.0.1:3306/test' }),
  },
];

/** A Db that answers `select 1`, or null (skip) — under CI=true a missing database fails. */
async function reachable(target: Target): Promise<Db | null> {
  const db = target.open();
  try {
    await sql`select 1`.execute(db.kysely);
    return db;
  } catch (err) {
    await db.close().catch(() => undefined);
    if (process.env['CI'] === 'true') {
      throw new Error(`CI=true requires ${target.requires}: ${(err as Error).message}`);
    }
    console.warn(`skipping SQL session store on ${target.name}: ${target.requires} is missing`);
    return null;
  }
}

async function dropTable(db: Db, table: string): Promise<void> {
  await sql
    .raw(`drop table if exists ${table}`)
    .execute(db.kysely)
    .catch(() => undefined);
}

for (const target of TARGETS) {
  describe(`SQL session store on ${target.name} (issue #13)`, () => {
    runSessionStoreConformance(async () => {
      const db = await reachable(target);
      if (db === null) return null;
      const table = uniqueTable();
      const store = createSqlSessionStore({ db, table });
      return {
        ...store,
        async close() {
          await store.close?.();
          await dropTable(db, table);
          await db.close();
          target.cleanup?.();
        },
      };
    });

    it('two app instances on two pools share sessions over real sockets; logout deletes the row', async (ctx) => {
      const a = await reachable(target);
      if (a === null) return ctx.skip();
      const b = target.name === 'sqlite memory' ? a : target.open();
      const table = uniqueTable();
      onTestFinished(async () => {
        await dropTable(a, table);
        await a.close();
        if (b !== a) await b.close();
        target.cleanup?.();
      });
      const app = (db: Db) =>
        compose(
          [session({ keys: [SECRET], store: createSqlSessionStore({ db, table }) })],
          (req) => {
            const s = getSession(req);
            if (req.path === '/login') {
              s.regenerate();
              s.set('user', 'ada');
            } else if (req.path === '/logout') s.destroy();
            else s.set('count', (s.get<number>('count') ?? 0) + 1);
            return json({ user: s.get('user') ?? null, count: s.get('count') ?? 0 });
          },
        );
      const portA = await serveHandler(app(a));
      const portB = await serveHandler(app(b));
      const login = await httpCall(portA, '/login');
      const cookie = String(login.headers['set-cookie']).split(';')[0]!;
      const counted = await httpCall(portB, '/count', { headers: { cookie } });
      expect(JSON.parse(counted.body)).toEqual({ user: 'ada', count: 1 });
      const again = await httpCall(portA, '/count', { headers: { cookie } });
      expect(JSON.parse(again.body)).toEqual({ user: 'ada', count: 2 });
      const rows = (await sql.raw(`select id, data, expires from ${table}`).execute(a.kysely))
        .rows as { data: string; expires: unknown }[];
      expect(rows).toHaveLength(1);
      expect(JSON.parse(rows[0]!.data)).toMatchObject({ user: 'ada', count: 2 });
      expect(Number(rows[0]!.expires)).toBeGreaterThan(Date.now());
      await httpCall(portB, '/logout', { headers: { cookie } });
      expect((await sql.raw(`select id from ${table}`).execute(a.kysely)).rows).toHaveLength(0);
      const after = await httpCall(portA, '/count', { headers: { cookie } });
      expect(JSON.parse(after.body)).toEqual({ user: null, count: 1 });
    });
  });
}

describe('createSqlSessionStore: options and failures', () => {
  it('refuses a missing db, a bad table name and a bad sweep interval', () => {
    const db = createDb.memory();
    onTestFinished(() => db.close());
    const code = 'RWS_MIDDLEWARE_SESSION_INVALID_OPTIONS';
    for (const [options, message] of [
      [{}, /db must be an @rws\/orm Db/],
      [{ db, table: 'x; drop table y' }, /table must be letters/],
      [{ db, table: '1abc' }, /table must be letters/],
      [{ db, sweepIntervalMs: -5 }, /sweepIntervalMs/],
    ] as const) {
      let caught: unknown;
      try {
        createSqlSessionStore(options as never);
      } catch (err) {
        caught = err;
      }
      expect(isRwsError(caught, code), String(caught)).toBe(true);
      expect((caught as Error).message).toMatch(message);
    }
  });

  it('a database failure is RWS_MIDDLEWARE_SESSION_STORE_FAILED (500), never an empty session', async () => {
    const db = createDb.memory();
    const store = createSqlSessionStore({ db, table: 'sess_closed' });
    await store.set('a', { v: 1 }, 60_000);
    await db.close();
    const err = await store.get('a').then(
      () => null,
      (e: unknown) => e,
    );
    expect(isRwsError(err, 'RWS_MIDDLEWARE_SESSION_STORE_FAILED')).toBe(true);
    expect((err as { status?: number }).status).toBe(500);
  });

  it('the sweep deletes expired rows', async () => {
    const db = createDb.memory();
    onTestFinished(() => db.close());
    const store = createSqlSessionStore({ db, table: 'sess_sweep', sweepIntervalMs: 50 });
    onTestFinished(() => store.close?.());
    await store.set('short', { v: 1 }, 20);
    await store.set('long', { v: 2 }, 60_000);
    const count = async () =>
      Number(
        (
          (await sql`select count(*) as n from sess_sweep`.execute(db.kysely)).rows[0] as {
            n: unknown;
          }
        ).n,
      );
    expect(await count()).toBe(2);
    const end = Date.now() + 10_000;
    while ((await count()) !== 1 && Date.now() < end) await new Promise((r) => setTimeout(r, 25));
    expect(await count()).toBe(1);
    expect(await store.get('long')).toEqual({ v: 2 });
  });
});
