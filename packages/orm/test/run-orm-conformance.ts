/**
 * The conformance suite every @rws/orm target runs (CONVENTIONS #11): CRUD, errors,
 * transactions, type round trips, both paginations, soft delete and relations, against a real
 * database. Targets call `runOrmConformance({ name, create, probe, skip })`.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { requireCapability } from '@rws/test-helpers';
import { sql } from 'kysely';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import {
  belongsTo,
  type CreateDbOptions,
  column,
  createMigrator,
  defineModel,
  hasMany,
  hasOne,
  type KeysetPage,
  manyToMany,
  type Row,
  relate,
} from '../src/index.js';
import { type Db, isRwsErrorCode, type OrmError } from './conformance-imports.js';
import { createSchema, dropSchema } from './schema.js';
import { countingRepository, whyDown } from './targets.js';

export interface OrmConformanceOptions {
  /** Target name in test titles, e.g. "postgres". */
  readonly name: string;
  /** Opens a Db on the target (the suite closes it). */
  readonly create: () => Db;
  /** What is missing when the target is down, e.g. "PostgreSQL on 127.0.0.1:5432". */
  readonly requires: string;
  /** The options a child process passes to createDb (absent: no cross-process tests). */
  readonly childConfig?: CreateDbOptions | undefined;
  /** Tests this target cannot run, each with the reason. */
  readonly skip?: ReadonlyArray<{ readonly reason: string; readonly tests: readonly string[] }>;
}

/** A unique table prefix per run, so parallel runs on one database never collide. */
export function runPrefix(): string {
  return `t${randomBytes(4).toString('hex')}`;
}

/** The conformance models over tables prefixed with `p`. */
function makeModels(p: string) {
  const User = defineModel(`${p}_users`, {
    columns: { id: column.id(), email: column.text(), name: column.text().nullable() },
    timestamps: true,
    softDelete: true,
  });
  const Post = defineModel(`${p}_posts`, {
    columns: {
      id: column.id(),
      authorId: column.integer(),
      title: column.text(),
      score: column.integer(),
    },
    timestamps: true,
  });
  const Profile = defineModel(`${p}_profiles`, {
    columns: { id: column.id(), userId: column.integer(), bio: column.text() },
  });
  const Tag = defineModel(`${p}_tags`, { columns: { id: column.id(), name: column.text() } });
  const Kind = defineModel(`${p}_kinds`, {
    columns: {
      id: column.id(),
      at: column.timestamp().nullable(),
      doc: column.json<{ a: number; nested: { snake_key: string[] } }>().nullable(),
      big: column.bigint().nullable(),
      flag: column.boolean().nullable(),
      amount: column.decimal().nullable(),
      data: column.binary().nullable(),
      label: column.text().nullable(),
    },
  });
  const UserR = relate(User, {
    posts: hasMany(Post, { foreignKey: 'authorId' }),
    profile: hasOne(Profile, { foreignKey: 'userId' }),
  });
  const PostR = relate(Post, {
    author: belongsTo(User, { foreignKey: 'authorId' }),
    tags: manyToMany(Tag, { through: `${p}_post_tags`, foreignKey: 'postId', relatedKey: 'tagId' }),
  });
  return { User, Post, Profile, Tag, Kind, UserR, PostR };
}

export function runOrmConformance(o: OrmConformanceOptions): void {
  const p = runPrefix();
  const m = makeModels(p);
  let db: Db;
  let isUp = false;
  let why = '';

  const skipped = new Map<string, string>();
  for (const s of o.skip ?? []) for (const t of s.tests) skipped.set(t, s.reason);

  /** A test that needs the database; skips (fails under CI=true) when it is down. */
  const test = (title: string, fn: (ctx: TestContext) => Promise<void>) => {
    const reason = skipped.get(title);
    if (reason !== undefined) {
      it.skip(`${title} (skipped on ${o.name}: ${reason})`, () => {});
      return;
    }
    it(title, async (ctx) => {
      requireCapability(ctx, isUp, `${o.requires} (${why})`);
      await fn(ctx);
    });
  };

  describe(`@rws/orm conformance: ${o.name}`, () => {
    beforeAll(async () => {
      db = o.create();
      const down = await whyDown(db);
      isUp = down === undefined;
      if (!isUp) return void (why = down ?? '');
      await createSchema(db, p);
    });
    afterAll(async () => {
      if (isUp) await dropSchema(db, p);
      await db?.close();
    });

    describe('1. createDb', () => {
      test('runs queries through kysely with camelCase mapping', async () => {
        const users = db.repo(m.User);
        const u = await users.insert({ email: 'map@example.com', name: 'Map' });
        const raw = await sql<{
          created_at: unknown;
        }>`select created_at from ${sql.table(m.User.table)} where id = ${u.id}`.execute(db.kysely);
        // The plugin maps result keys back to camelCase even for raw SQL.
        expect(Object.keys(raw.rows[0] ?? {})).toEqual(['createdAt']);
        const viaKysely = await db.kysely
          .selectFrom(m.User.table)
          .select(['id', 'createdAt'])
          .where('id', '=', u.id)
          .executeTakeFirstOrThrow();
        // Raw kysely returns what the driver gives (SQLite: bigint); repositories convert.
        expect(Number(viaKysely['id'])).toBe(u.id);
      });
    });

    describe('3. repository', () => {
      test('insert, find, findOrFail, update, delete, count, exists', async () => {
        const users = db.repo(m.User);
        const a = await users.insert({ email: 'crud-a@example.com' });
        expect(a).toMatchObject({ email: 'crud-a@example.com', name: null, deletedAt: null });
        expect(typeof a.id).toBe('number');
        expect(a.createdAt).toBeInstanceOf(Date);
        expect(Math.abs(a.createdAt.getTime() - Date.now())).toBeLessThan(60_000);
        expect(await users.find(a.id)).toEqual(a);
        expect(await users.find(999_999)).toBeUndefined();
        await expect(users.findOrFail(999_999)).rejects.toSatisfy(
          (e) => isRwsErrorCode(e, 'RWS_ORM_NOT_FOUND') && (e as OrmError).status === 404,
        );
        await new Promise((r) => setTimeout(r, 15));
        const b = await users.update(a.id, { name: 'Ann' });
        expect(b?.name).toBe('Ann');
        expect(b?.createdAt.getTime()).toBe(a.createdAt.getTime());
        expect(b?.updatedAt.getTime()).toBeGreaterThan(a.updatedAt.getTime());
        expect(await users.update(999_999, { name: 'x' })).toBeUndefined();
        expect(await users.count({ email: 'crud-a@example.com' })).toBe(1);
        expect(await users.exists({ email: 'crud-a@example.com' })).toBe(true);
        expect(await users.exists({ email: 'nobody@example.com' })).toBe(false);
        expect(await users.forceDelete(a.id)).toBe(true);
        expect(await users.withTrashed().find(a.id)).toBeUndefined();
        expect(await users.forceDelete(a.id)).toBe(false);
      });

      test('insertMany and findMany with where, orderBy, limit', async () => {
        const users = db.repo(m.User);
        const rows = await users.insertMany([
          { email: 'many-c@example.com', name: 'many' },
          { email: 'many-a@example.com', name: 'many' },
          { email: 'many-b@example.com', name: 'many' },
        ]);
        expect(rows.map((r) => r.email)).toEqual([
          'many-c@example.com',
          'many-a@example.com',
          'many-b@example.com',
        ]);
        expect(new Set(rows.map((r) => r.id)).size).toBe(3);
        const sorted = await users.findMany({ name: 'many' }, { orderBy: ['email'], limit: 2 });
        expect(sorted.map((r) => r.email)).toEqual(['many-a@example.com', 'many-b@example.com']);
        const desc = await users.findMany({ name: 'many' }, { orderBy: [['email', 'desc']] });
        expect(desc.map((r) => r.email)[0]).toBe('many-c@example.com');
        const inList = await users.findMany({
          email: ['many-a@example.com', 'many-c@example.com'],
        });
        expect(inList).toHaveLength(2);
        expect(await users.findMany({ email: [] })).toEqual([]);
        await expect(users.findMany({ nope: 1 } as never)).rejects.toSatisfy((e) =>
          isRwsErrorCode(e, 'RWS_ORM_INVALID_QUERY'),
        );
      });

      test('update to the same values still finds the row; updateMany counts matched rows', async () => {
        const tags = db.repo(m.Tag);
        const t = await tags.insert({ name: 'unchanged' });
        expect(await tags.update(t.id, { name: 'unchanged' })).toEqual(t);
        expect(await tags.update(t.id, {})).toEqual(t);
        expect(await tags.updateMany({ name: 'unchanged' }, { name: 'unchanged' })).toBe(1);
        expect(await tags.updateMany({ name: 'nobody' }, { name: 'x' })).toBe(0);
      });

      test('upsert inserts, then updates on the unique key', async () => {
        const users = db.repo(m.User);
        const first = await users.upsert(
          { email: 'up@example.com', name: 'one' },
          { conflict: ['email'] },
        );
        const second = await users.upsert(
          { email: 'up@example.com', name: 'two' },
          { conflict: ['email'] },
        );
        expect(second.id).toBe(first.id);
        expect(second.name).toBe('two');
        expect(second.createdAt.getTime()).toBe(first.createdAt.getTime());
        expect(await users.count({ email: 'up@example.com' })).toBe(1);
      });

      test('soft delete: delete marks, withTrashed/onlyTrashed see it, restore brings it back', async () => {
        const users = db.repo(m.User);
        const u = await users.insert({ email: 'soft@example.com' });
        expect(await users.delete(u.id)).toBe(true);
        expect(await users.find(u.id)).toBeUndefined();
        expect(await users.exists({ email: 'soft@example.com' })).toBe(false);
        const trashed = await users.withTrashed().find(u.id);
        expect(trashed?.deletedAt).toBeInstanceOf(Date);
        expect(
          (await users.onlyTrashed().findMany({ email: 'soft@example.com' })).map((r) => r.id),
        ).toEqual([u.id]);
        expect(await users.delete(u.id)).toBe(false);
        expect(await users.restore(u.id)).toBe(true);
        expect((await users.find(u.id))?.deletedAt).toBeNull();
        expect(await users.onlyTrashed().count({ email: 'soft@example.com' })).toBe(0);
      });

      test('offset paginate with ties and a Link header', async () => {
        const users = db.repo(m.User);
        const author = await users.insert({ email: 'pager@example.com' });
        const posts = db.repo(m.Post);
        // Scores tie in pairs; the key breaks ties so no row is skipped or repeated.
        await posts.insertMany(
          [5, 3, 5, 1, 3, 1, 5].map((score, i) => ({ authorId: author.id, title: `p${i}`, score })),
        );
        const seen: string[] = [];
        let page = await posts.paginate({
          page: 1,
          perPage: 3,
          where: { authorId: author.id },
          orderBy: [['score', 'desc']],
        });
        expect(page).toMatchObject({ total: 7, totalPages: 3, page: 1, perPage: 3 });
        expect(page.linkHeader('https://api.example/posts?q=x')).toBe(
          '<https://api.example/posts?q=x&page=1&per_page=3>; rel="first", <https://api.example/posts?q=x&page=2&per_page=3>; rel="next", <https://api.example/posts?q=x&page=3&per_page=3>; rel="last"',
        );
        seen.push(...page.items.map((r) => r.title));
        page = await posts.paginate({
          page: 2,
          perPage: 3,
          where: { authorId: author.id },
          orderBy: [['score', 'desc']],
        });
        seen.push(...page.items.map((r) => r.title));
        page = await posts.paginate({
          page: 3,
          perPage: 3,
          where: { authorId: author.id },
          orderBy: [['score', 'desc']],
        });
        expect(page.items).toHaveLength(1);
        expect(page.linkHeader('https://a.example/p')).toContain('rel="prev"');
        expect(page.linkHeader('https://a.example/p')).not.toContain('rel="next"');
        seen.push(...page.items.map((r) => r.title));
        expect(seen).toEqual(['p0', 'p2', 'p6', 'p1', 'p4', 'p3', 'p5']);
        await expect(posts.paginate({ page: 0, perPage: 3 })).rejects.toSatisfy((e) =>
          isRwsErrorCode(e, 'RWS_ORM_INVALID_QUERY'),
        );
      });

      test('keyset paginate over multi-column ordering with ties; cursors are tamper-evident', async () => {
        const users = db.repo(m.User);
        const author = await users.insert({ email: 'keyset@example.com' });
        const posts = db.repo(m.Post);
        const scores = [2, 1, 2, 2, 1, 3, 1, 2, 3, 1];
        await posts.insertMany(
          scores.map((score, i) => ({
            authorId: author.id,
            title: i % 2 === 0 ? 'even' : 'odd',
            score,
          })),
        );
        const expected = await posts.findMany(
          { authorId: author.id },
          { orderBy: [['score', 'desc'], 'title', 'id'] },
        );
        const got: number[] = [];
        let after: string | null = null;
        let pages = 0;
        do {
          const page: KeysetPage<Row<typeof m.Post>> = await posts.paginate({
            after,
            limit: 3,
            where: { authorId: author.id },
            orderBy: [['score', 'desc'], 'title'],
          });
          got.push(...page.items.map((r) => r.id));
          if (page.nextCursor !== null) {
            expect(page.linkHeader('https://api.example/posts')).toBe(
              `<https://api.example/posts?after=${page.nextCursor}&limit=3>; rel="next"`,
            );
          } else expect(page.linkHeader('https://api.example/posts')).toBe('');
          after = page.nextCursor;
          pages++;
        } while (after !== null && pages < 10);
        expect(got).toEqual(expected.map((r) => r.id));
        expect(pages).toBe(4);

        const first = await posts.paginate({
          limit: 2,
          where: { authorId: author.id },
          orderBy: ['score'],
        });
        const cursor = first.nextCursor as string;
        const [payload, mac] = cursor.split('.') as [string, string];
        const forged = `${Buffer.from(JSON.stringify([9, 1])).toString('base64url')}.${mac}`;
        for (const bad of [forged, `${payload}.AAAA`, 'garbage', `${payload}.${mac}x`]) {
          await expect(
            posts.paginate({
              after: bad,
              limit: 2,
              where: { authorId: author.id },
              orderBy: ['score'],
            }),
          ).rejects.toSatisfy(
            (e) => isRwsErrorCode(e, 'RWS_ORM_INVALID_CURSOR') && (e as OrmError).status === 400,
          );
        }
        // A cursor from one ordering is refused by another.
        await expect(
          posts.paginate({
            after: cursor,
            limit: 2,
            where: { authorId: author.id },
            orderBy: ['title'],
          }),
        ).rejects.toSatisfy((e) => isRwsErrorCode(e, 'RWS_ORM_INVALID_CURSOR'));
      });

      test('keyset paginate on a timestamp sort key', async () => {
        const users = db.repo(m.User);
        for (let i = 0; i < 5; i++)
          await users.insert({ email: `ts${i}@keyset.example`, name: 'tsk' });
        const all = await users.findMany(
          { name: 'tsk' },
          {
            orderBy: [
              ['createdAt', 'desc'],
              ['id', 'desc'],
            ],
          },
        );
        const got: number[] = [];
        let after: string | null = null;
        do {
          const page: KeysetPage<Row<typeof m.User>> = await users.paginate({
            after,
            limit: 2,
            where: { name: 'tsk' },
            orderBy: [
              ['createdAt', 'desc'],
              ['id', 'desc'],
            ],
          });
          got.push(...page.items.map((r) => r.id));
          after = page.nextCursor;
        } while (after !== null);
        expect(got).toEqual(all.map((r) => r.id));
      });
    });

    describe('4. errors', () => {
      test('unique violation carries the constraint name', async () => {
        const users = db.repo(m.User);
        await users.insert({ email: 'dup@example.com' });
        const err = await users.insert({ email: 'dup@example.com' }).catch((e: unknown) => e);
        expect(isRwsErrorCode(err, 'RWS_ORM_UNIQUE_VIOLATION')).toBe(true);
        expect((err as OrmError).constraint).toBe(`${p}_users_email_unique`);
        expect((err as OrmError).columns).toEqual(['email']);
        expect((err as OrmError).status).toBe(409);
      });

      test('foreign-key violation', async () => {
        const err = await db
          .repo(m.Post)
          .insert({ authorId: 987_654, title: 'orphan', score: 0 })
          .catch((e: unknown) => e);
        expect(isRwsErrorCode(err, 'RWS_ORM_FOREIGN_KEY_VIOLATION')).toBe(true);
        if (db.dialect !== 'sqlite')
          expect((err as OrmError).constraint).toBe(`${p}_posts_author_fk`);
        else expect((err as OrmError).constraint).toBeUndefined();
      });

      test('not-null violation carries the column', async () => {
        const err = await db
          .repo(m.User)
          .insert({ email: null as unknown as string })
          .catch((e: unknown) => e);
        expect(isRwsErrorCode(err, 'RWS_ORM_NOT_NULL_VIOLATION')).toBe(true);
        expect((err as OrmError).columns).toEqual(['email']);
      });
    });

    describe('5. transactions', () => {
      test('commit and rollback', async () => {
        const users = db.repo(m.User);
        await db.transaction(async (tx) => {
          expect(tx.isTransaction).toBe(true);
          await tx.repo(m.User).insert({ email: 'tx-commit@example.com' });
        });
        expect(await users.exists({ email: 'tx-commit@example.com' })).toBe(true);
        await expect(
          db.transaction(async (tx) => {
            await tx.repo(m.User).insert({ email: 'tx-rollback@example.com' });
            throw new Error('boom');
          }),
        ).rejects.toThrow('boom');
        expect(await users.exists({ email: 'tx-rollback@example.com' })).toBe(false);
      });

      test('nested transaction: an inner failure rolls back only the inner part', async () => {
        const users = db.repo(m.User);
        await db.transaction(async (tx) => {
          await tx.repo(m.User).insert({ email: 'outer@example.com' });
          await expect(
            tx.transaction(async (inner) => {
              await inner.repo(m.User).insert({ email: 'inner-bad@example.com' });
              // A constraint error inside the savepoint: the outer transaction survives it.
              await inner.repo(m.User).insert({ email: 'outer@example.com' });
            }),
          ).rejects.toSatisfy((e) => isRwsErrorCode(e, 'RWS_ORM_UNIQUE_VIOLATION'));
          await tx.transaction(async (inner) => {
            await inner.repo(m.User).insert({ email: 'inner-ok@example.com' });
            await inner.transaction(async (deeper) => {
              await deeper.repo(m.User).insert({ email: 'deeper-ok@example.com' });
            });
          });
        });
        expect(await users.exists({ email: 'outer@example.com' })).toBe(true);
        expect(await users.exists({ email: 'inner-bad@example.com' })).toBe(false);
        expect(await users.exists({ email: 'inner-ok@example.com' })).toBe(true);
        expect(await users.exists({ email: 'deeper-ok@example.com' })).toBe(true);
      });

      test('opt-in retry on a serialization failure raised by the database', async () => {
        let calls = 0;
        const result = await db.transaction(
          async (tx) => {
            calls++;
            await tx.repo(m.User).insert({ email: `retry${calls}@example.com` });
            if (calls < 3) await raiseSerializationFailure(tx);
            return calls;
          },
          { retry: { attempts: 3, delayMs: 1 } },
        );
        expect(result).toBe(3);
        const users = db.repo(m.User);
        expect(await users.exists({ email: 'retry1@example.com' })).toBe(false);
        expect(await users.exists({ email: 'retry3@example.com' })).toBe(true);
        calls = 0;
        await expect(
          db.transaction(async (tx) => {
            calls++;
            await raiseSerializationFailure(tx);
          }),
        ).rejects.toSatisfy((e) => isRwsErrorCode(e, 'RWS_ORM_SERIALIZATION_FAILURE'));
        expect(calls).toBe(1);
      });
    });

    describe('6. type round trips', () => {
      test('dates, JSON, big integers, booleans, decimals, binary, null', async (ctx) => {
        // The process time zone must not matter: run in one far from UTC.
        const tz = process.env['TZ'];
        process.env['TZ'] = 'Pacific/Chatham';
        ctx.onTestFinished(() => {
          if (tz === undefined) delete process.env['TZ'];
          else process.env['TZ'] = tz;
        });
        expect(new Date('2024-01-01T00:00:00Z').getTimezoneOffset()).not.toBe(0);
        const kinds = db.repo(m.Kind);
        // A time with milliseconds, written from a non-UTC offset: read back as the same instant.
        const at = new Date('2024-02-29T23:59:58.123+05:30');
        const doc = { a: 1.5, nested: { snake_key: ['x', 'ü'] } };
        const big = 9_007_199_254_740_993n; // 2^53 + 1: not representable as a number
        const data = Uint8Array.from([0, 255, 1, 128, 10, 13]);
        const row = await kinds.insert({
          at,
          doc,
          big,
          flag: true,
          amount: '12345678901234.123456',
          data,
          label: 'ok',
        });
        const back = await kinds.findOrFail(row.id);
        expect(back.at?.toISOString()).toBe(at.toISOString());
        // Stored as the UTC instant (MySQL datetime: the UTC wall time), not local time.
        const stored = await (db.dialect === 'postgres'
          ? sql<{
              s: string;
            }>`select to_char(at at time zone 'UTC', 'YYYY-MM-DD HH24:MI:SS.MS') as s from ${sql.table(m.Kind.table)} where id = ${row.id}`
          : db.dialect === 'mysql'
            ? sql<{
                s: string;
              }>`select date_format(at, '%Y-%m-%d %H:%i:%s.%f') as s from ${sql.table(m.Kind.table)} where id = ${row.id}`
            : sql<{
                s: string;
              }>`select replace(replace(at, 'T', ' '), 'Z', '') as s from ${sql.table(m.Kind.table)} where id = ${row.id}`
        ).execute(db.kysely);
        expect(String(stored.rows[0]?.s).slice(0, 23)).toBe('2024-02-29 18:29:58.123');
        expect(back.doc).toEqual(doc);
        expect(back.big).toBe(big);
        expect(back.flag).toBe(true);
        expect(back.amount).toBe('12345678901234.123456');
        expect(Buffer.from(back.data as Uint8Array).equals(Buffer.from(data))).toBe(true);
        expect(back).toEqual(row);
        const f = await kinds.insert({ flag: false, big: -5n });
        const fb = await kinds.findOrFail(f.id);
        expect(fb).toMatchObject({
          flag: false,
          big: -5n,
          at: null,
          doc: null,
          data: null,
          amount: null,
        });
        expect(await kinds.count({ flag: false, big: -5n })).toBe(1);
        expect(await kinds.count({ at })).toBe(1);
      });
    });

    describe('7. migrations', () => {
      const dirs: string[] = [];
      afterAll(() => {
        for (const d of dirs) rmSync(d, { recursive: true, force: true });
      });
      const folder = (files: Record<string, string>) => {
        const dir = mkdtempSync(join(tmpdir(), 'rws-orm-mig-'));
        dirs.push(dir);
        for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
        return dir;
      };
      const tables = async () =>
        new Set((await db.kysely.introspection.getTables()).map((t) => t.name));

      test('migrate, status, rollback through .down.sql and down(), in name order', async () => {
        const q = `${p}m`;
        const dir = folder({
          '002_second.sql': `create table ${q}_b (id integer primary key);\n-- a comment; with a semicolon\ninsert into ${q}_b (id) values (1);\ninsert into ${q}_a (id, note) values (2, 'x;y');`,
          '002_second.down.sql': `delete from ${q}_a where id = 2;\ndrop table ${q}_b;`,
          '001_first.sql': `create table ${q}_a (id integer primary key, note varchar(20));`,
          '003_third.ts': `export async function up(db) { await db.kysely.schema.createTable('${q}_c').addColumn('id', 'integer', (c) => c.primaryKey()).execute(); }\nexport async function down(db) { await db.kysely.schema.dropTable('${q}_c').execute(); }\n`,
          'README.md': 'not a migration',
        });
        const migrator = createMigrator(db, { dir, table: `${q}_migrations` });
        expect((await migrator.status()).map((s) => [s.name, s.isApplied, s.hasDown])).toEqual([
          ['001_first', false, false],
          ['002_second', false, true],
          ['003_third', false, true],
        ]);
        expect(await migrator.migrate()).toEqual(['001_first', '002_second', '003_third']);
        expect(await migrator.migrate()).toEqual([]);
        let t = await tables();
        expect([`${q}_a`, `${q}_b`, `${q}_c`].every((n) => t.has(n))).toBe(true);
        const notes = await sql<{ note: string }>`select note from ${sql.table(`${q}_a`)}`.execute(
          db.kysely,
        );
        expect(notes.rows.map((r) => r.note)).toEqual(['x;y']);
        const status = await migrator.status();
        expect(status.every((s) => s.isApplied && typeof s.appliedAt === 'string')).toBe(true);

        expect(await migrator.rollback(2)).toEqual(['003_third', '002_second']);
        t = await tables();
        expect(t.has(`${q}_a`) && !t.has(`${q}_b`) && !t.has(`${q}_c`)).toBe(true);
        expect((await migrator.status()).map((s) => s.isApplied)).toEqual([true, false, false]);
        await expect(migrator.rollback(1)).rejects.toSatisfy(
          (e) =>
            isRwsErrorCode(e, 'RWS_ORM_MIGRATION_FAILED') &&
            String((e as Error).message).includes('001_first'),
        );
        expect(await migrator.migrate()).toEqual(['002_second', '003_third']);
        // Every step is checked before any runs: nothing is reverted when one has no down.
        await expect(migrator.rollback(3)).rejects.toSatisfy((e) =>
          isRwsErrorCode(e, 'RWS_ORM_MIGRATION_FAILED'),
        );
        expect((await migrator.status()).every((s) => s.isApplied)).toBe(true);
        await migrator.rollback(2);
        await drop(db, [`${q}_a`, `${q}_migrations`, `${q}_migrations_lock`]);
      });

      test('a failing migration stops the run and names itself', async () => {
        const q = `${p}f`;
        const dir = folder({
          '001_ok.sql': `create table ${q}_ok (id integer primary key);`,
          '002_bad.sql': `insert into ${q}_ok (id) values (1);\ninsert into ${q}_missing_table (id) values (1);`,
          '003_never.sql': `create table ${q}_never (id integer primary key);`,
        });
        const migrator = createMigrator(db, { dir, table: `${q}_migrations` });
        const err = await migrator.migrate().catch((e: unknown) => e);
        expect(isRwsErrorCode(err, 'RWS_ORM_MIGRATION_FAILED')).toBe(true);
        expect((err as Error).message).toContain('002_bad');
        expect((await migrator.status()).map((s) => s.isApplied)).toEqual([true, false, false]);
        const rows = await sql<{
          n: unknown;
        }>`select count(*) as n from ${sql.table(`${q}_ok`)}`.execute(db.kysely);
        // In a transaction the first insert of 002 is rolled back; MySQL commits row by row
        // here too because the failed migration is not wrapped (DDL would commit it anyway).
        expect(Number(rows.rows[0]?.n)).toBe(db.dialect === 'mysql' ? 1 : 0);
        expect((await tables()).has(`${q}_never`)).toBe(false);
        await drop(db, [`${q}_ok`, `${q}_migrations`, `${q}_migrations_lock`]);
      });

      test('two processes migrating at once: the lock lets each migration run exactly once', async (ctx) => {
        requireCapability(ctx, o.childConfig !== undefined, 'a database two processes can share');
        const q = `${p}l`;
        const dir = folder({
          '001_slow.ts': `export async function up(db) {\n  await new Promise((r) => setTimeout(r, 400));\n  await db.kysely.schema.createTable('${q}_log').addColumn('id', 'integer', (c) => c.primaryKey()).execute();\n  await db.kysely.insertInto('${q}_log').values({ id: 1 }).execute();\n}\n`,
          '002_more.sql': `insert into ${q}_log (id) values (2);`,
        });
        const arg = JSON.stringify({ db: o.childConfig, dir, table: `${q}_migrations` });
        const [a, b] = await Promise.all([runChild(arg), runChild(arg)]);
        const all = [...a, ...b].sort();
        expect(all).toEqual(['001_slow', '002_more']);
        const rows = await sql<{
          n: unknown;
        }>`select count(*) as n from ${sql.table(`${q}_log`)}`.execute(db.kysely);
        expect(Number(rows.rows[0]?.n)).toBe(2);
        await drop(db, [`${q}_log`, `${q}_migrations`, `${q}_migrations_lock`]);
      });
    });

    describe('8. relations', () => {
      test('hasMany, hasOne, belongsTo, manyToMany in one query per relation', async () => {
        const users = db.repo(m.User);
        const a = await users.insert({ email: 'rel-a@example.com', name: 'rel' });
        const b = await users.insert({ email: 'rel-b@example.com', name: 'rel' });
        const posts = db.repo(m.Post);
        const [p1, p2, p3] = await posts.insertMany([
          { authorId: a.id, title: 'a1', score: 1 },
          { authorId: a.id, title: 'a2', score: 1 },
          { authorId: b.id, title: 'b1', score: 1 },
        ]);
        await db.repo(m.Profile).insert({ userId: b.id, bio: 'bee' });
        const tags = await db.repo(m.Tag).insertMany([{ name: 'red' }, { name: 'blue' }]);
        await db.kysely
          .insertInto(`${p}_post_tags`)
          .values([
            { postId: p1?.id, tagId: tags[0]?.id },
            { postId: p1?.id, tagId: tags[1]?.id },
            { postId: p3?.id, tagId: tags[1]?.id },
          ])
          .execute();

        // Count the statements: one for the rows plus one per loaded relation (no N+1).
        const { repo: withUsers, statements } = countingRepository(db, m.UserR);
        const loaded = await withUsers.findMany(
          { name: 'rel' },
          { orderBy: ['id'], with: ['posts', 'profile'] },
        );
        expect(statements()).toBe(3);
        expect(loaded.map((u) => u.posts.map((x) => x.title))).toEqual([['a1', 'a2'], ['b1']]);
        expect(loaded[0]?.profile).toBeNull();
        expect(loaded[1]?.profile?.bio).toBe('bee');

        const withPosts = db.repo(m.PostR);
        const ps = await withPosts.findMany(
          { id: [p1?.id, p2?.id, p3?.id] as number[] },
          { orderBy: ['id'], with: ['author', 'tags'] },
        );
        expect(ps.map((x) => x.author?.email)).toEqual([
          'rel-a@example.com',
          'rel-a@example.com',
          'rel-b@example.com',
        ]);
        expect(ps.map((x) => x.tags.map((t) => t.name))).toEqual([['red', 'blue'], [], ['blue']]);
        await expect(withPosts.findMany({}, { with: ['nope' as 'tags'] })).rejects.toSatisfy((e) =>
          isRwsErrorCode(e, 'RWS_ORM_INVALID_QUERY'),
        );
      });
    });
  });
}

async function raiseSerializationFailure(db: Db): Promise<void> {
  if (db.dialect === 'postgres')
    await sql`do $$ begin raise exception 'forced' using errcode = '40001'; end $$`.execute(
      db.kysely,
    );
  else if (db.dialect === 'mysql')
    await sql`signal sqlstate '40001' set message_text = 'forced'`.execute(db.kysely);
  else throw new Error(`${db.dialect} cannot raise a serialization failure on demand`);
}

async function drop(db: Db, tables: readonly string[]): Promise<void> {
  for (const t of tables) await sql.raw(`drop table if exists ${t}`).execute(db.kysely);
}

const PACKAGE_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Runs test/fixtures/migrate-child.ts in a new Node process; resolves with what it applied. */
function runChild(arg: string): Promise<string[]> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', '--conditions=@rws/source', 'test/fixtures/migrate-child.ts', arg],
      { cwd: PACKAGE_DIR, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => {
      out += c;
    });
    child.stderr.setEncoding('utf8').on('data', (c: string) => {
      err += c;
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 25_000);
    child.once('exit', (code) => {
      clearTimeout(timer);
      if (code !== 0) reject(new Error(`migrate child exited with ${code}: ${err}`));
      else resolve(JSON.parse(out.trim()) as string[]);
    });
  });
}
