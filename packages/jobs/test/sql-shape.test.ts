/**
 * The SQL store's hot statements compile their text once and take each call's values in order
 * (issue #16: a kysely tree built and compiled per job was about 18 KiB allocated per job).
 * Run on each database, since the placeholders differ ($n on PostgreSQL, ? elsewhere).
 */
import { sql } from '@rws/orm';
import { describe, expect, it } from 'vitest';
import { param, Shape, ShapeFamily } from '../src/internal/sql-shape.js';
import { dbTargets, openTestDb } from './test-db.js';

describe.each(dbTargets('jobs_shape'))('Shape on %s', (_name, requires, options) => {
  it('compiles the text once and binds each call its own values, lists included', async (ctx) => {
    const { db } = await openTestDb(ctx, options, requires, 'jobs_shape');
    const pick = new ShapeFamily<{ a: string; b: string; list: readonly string[] }>(
      (n) => (v) =>
        sql`select ${v.a} as a, ${v.b} as b, ${v.a} as a2${sql.join(
          Array.from(
            { length: n },
            (_, i) =>
              sql`, ${param((x: { list: readonly string[] }) => x.list[i])} as l${sql.raw(String(i))}`,
          ),
          sql``,
        )}`,
    );
    const run = async (a: string, b: string, list: string[]) => {
      const q = pick.of(list.length).bind(db.kysely, { a, b, list });
      const { rows } = await db.kysely.executeQuery<Record<string, unknown>>(q);
      return { q, row: Object.values(rows[0] ?? {}).map(String) };
    };
    const first = await run('1', 'x', ['p', 'q']);
    const second = await run('20', 'y', ['r', 's']);
    expect(first.row).toEqual(['1', 'x', '1', 'p', 'q']);
    expect(second.row).toEqual(['20', 'y', '20', 'r', 's']);
    // The same text, and the values in the order of its placeholders.
    expect(second.q.sql).toBe(first.q.sql);
    expect(second.q.parameters).toEqual(['20', 'y', '20', 'r', 's']);
    // Another list length is another text.
    const third = await run('3', 'z', ['t', 'u', 'v']);
    expect(third.row).toEqual(['3', 'z', '3', 't', 'u', 'v']);
    expect(third.q.sql).not.toBe(first.q.sql);
  });

  it("refuses a value that is not a placeholder: it would be frozen into every call's text", async (ctx) => {
    const { db } = await openTestDb(ctx, options, requires, 'jobs_shape');
    const now = Date.now();
    const wrong = new Shape<{ id: string }>((v) => sql`select ${v.id} as id, ${now} as at`);
    expect(() => wrong.bind(db.kysely, { id: 'a' })).toThrow(/not a placeholder/);
  });
});
