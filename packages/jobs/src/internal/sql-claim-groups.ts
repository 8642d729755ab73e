import type { Db } from '@rws/orm';
import { sql } from '@rws/orm';
import type { ClaimOptions, GroupLimits } from '../job-store.js';
import { groupAllowance } from './group-window.js';
import { num, type Row, type SqlContext } from './sql-context.js';

type Query = ReturnType<typeof sql>;

/**
 * Claims jobs that have a group within the groups' limits, counted across every worker. The
 * group rows are locked for the claim (`FOR UPDATE SKIP LOCKED`: a group another worker is
 * claiming from is skipped; SQLite's single writer serialises claims), so two workers never
 * both see room for the last slot of a group.
 */
export async function claimGrouped(
  c: SqlContext,
  db: Db,
  o: ClaimOptions & { readonly group: GroupLimits },
  names: Query,
  claimSet: (now: number) => Query,
  nowAtLock: () => number,
): Promise<Row[]> {
  const { T, G, exec, seq } = c;
  const limits = o.group;
  // Groups with due jobs that look open, best job first. Read outside the transaction, so
  // MySQL's snapshot starts after the locks below; the locks make the check exact.
  const rate = limits.rateLimit;
  const isRateOpen =
    rate === undefined
      ? sql``
      : sql` and not exists (select 1 from ${G} g where g.queue = j.queue and g.group_key = j.group_key
          and g.window_start + ${rate.intervalMs} > ${o.now} and g.window_count >= ${rate.max})`;
  const hasRoom =
    limits.concurrency === undefined
      ? sql``
      : sql` and (select count(*) from ${T} a where a.queue = j.queue and a.group_key = j.group_key
          and a.state = 'active') < ${limits.concurrency}`;
  const { rows: open } = await exec(
    sql`select j.group_key as g from ${T} j where j.queue = ${o.queue} and j.state = 'waiting'
        and j.run_at <= ${o.now} and j.group_key is not null${names}${isRateOpen}${hasRoom}
        group by j.group_key order by min(j.priority), min(j.run_at) limit 100`,
  );
  if (open.length === 0) return [];
  const candidates = open.map((r) => String(r['g']));
  return db.transaction(async (tx) => {
    await c.lockForWrite(tx);
    const skipLocked = sql.raw(c.dialect === 'sqlite' ? '' : ' for update skip locked');
    const { rows: locked } = await exec(
      sql`select group_key, window_start, window_count from ${G} where queue = ${o.queue}
          and group_key in (${sql.join(candidates)})${skipLocked}`,
      tx,
    );
    if (locked.length === 0) return [];
    const now = nowAtLock();
    const groups = locked.map((r) => String(r['group_key'] ?? r['groupKey']));
    const { rows: activeRows } = await exec(
      sql`select group_key, count(*) as n from ${T} where queue = ${o.queue} and state = 'active'
          and group_key in (${sql.join(groups)}) group by group_key`,
      tx,
    );
    const active = new Map(
      activeRows.map((r) => [String(r['group_key'] ?? r['groupKey']), num(r['n'])]),
    );
    const allowance = new Map<string, number>();
    const windows = new Map<string, { start: number; count: number }>();
    for (const r of locked) {
      const g = String(r['group_key'] ?? r['groupKey']);
      const w = {
        start: num(r['window_start'] ?? r['windowStart']),
        count: num(r['window_count'] ?? r['windowCount']),
      };
      windows.set(g, w);
      const n = Math.min(o.limit, groupAllowance(limits, active.get(g) ?? 0, w, now));
      if (n > 0) allowance.set(g, n);
    }
    if (allowance.size === 0) return [];
    const most = Math.max(...allowance.values());
    const { rows: due } = await exec(
      sql`select id, group_key from (select id, group_key, priority, run_at, ${seq} as s,
            row_number() over (partition by group_key order by priority, run_at, ${seq}) as rn
          from ${T} where queue = ${o.queue} and state = 'waiting' and run_at <= ${o.now}
            and group_key in (${sql.join([...allowance.keys()])})${names}) x
          where rn <= ${most} order by priority, run_at, s`,
      tx,
    );
    const taken = new Map<string, number>();
    const ids: string[] = [];
    for (const r of due) {
      if (ids.length >= o.limit) break;
      const g = String(r['group_key'] ?? r['groupKey']);
      const n = taken.get(g) ?? 0;
      if (n >= (allowance.get(g) ?? 0)) continue;
      taken.set(g, n + 1);
      ids.push(String(r['id']));
    }
    if (ids.length === 0) return [];
    await exec(
      sql`update ${T} set ${claimSet(now)} where id in (${sql.join(ids)}) and state = 'waiting'`,
      tx,
    );
    const { rows: claimed } = await exec(
      sql`select *, ${seq} as seq from ${T} where id in (${sql.join(ids)}) and state = 'active'
          and worker_id = ${o.workerId}`,
      tx,
    );
    if (rate !== undefined)
      for (const [g, n] of taken) {
        const w = windows.get(g);
        const isOpen = w !== undefined && w.start + rate.intervalMs > now;
        await exec(
          isOpen
            ? sql`update ${G} set window_count = window_count + ${n} where queue = ${o.queue} and group_key = ${g}`
            : sql`update ${G} set window_start = ${now}, window_count = ${n} where queue = ${o.queue} and group_key = ${g}`,
          tx,
        );
      }
    return claimed;
  });
}
