import { ERROR_CODES, JobsError } from './errors.js';
import { type CronExpression, parseCron } from './parse-cron.js';

const FORMATTERS = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let f = FORMATTERS.get(timeZone);
  if (f === undefined) {
    try {
      f = new Intl.DateTimeFormat('en-US', {
        timeZone,
        hourCycle: 'h23',
        year: 'numeric',
        month: 'numeric',
        day: 'numeric',
        hour: 'numeric',
        minute: 'numeric',
        second: 'numeric',
      });
    } catch (err) {
      throw new JobsError(
        ERROR_CODES.INVALID_CRON,
        `unknown time zone ${JSON.stringify(timeZone)}`,
        {
          cause: err,
        },
      );
    }
    FORMATTERS.set(timeZone, f);
  }
  return f;
}

/** The wall-clock time of an instant in a zone, as if it were UTC (epoch ms, whole seconds). */
function wallClock(instant: number, timeZone: string): number {
  const p: Record<string, number> = {};
  for (const { type, value } of formatter(timeZone).formatToParts(instant))
    if (type !== 'literal') p[type] = Number(value);
  return Date.UTC(
    p['year'] ?? 0,
    (p['month'] ?? 1) - 1,
    p['day'] ?? 1,
    p['hour'] ?? 0,
    p['minute'] ?? 0,
    p['second'] ?? 0,
  );
}

/** The zone's offset from UTC at an instant, in ms. */
const offsetAt = (instant: number, timeZone: string): number =>
  wallClock(instant, timeZone) - Math.floor(instant / 1000) * 1000;

/**
 * The instant of a wall-clock time in a zone, resolved as Temporal's `compatible`
 * disambiguation: a time that occurs twice (clocks go back) is its first occurrence; a time
 * that does not exist (clocks go forward) moves forward by the length of the gap.
 */
function instantOf(wall: number, timeZone: string): number {
  const DAY = 86_400_000;
  const before = offsetAt(wall - DAY, timeZone);
  const after = offsetAt(wall + DAY, timeZone);
  const candidates = [wall - before, wall - after].filter((i) => wallClock(i, timeZone) === wall);
  if (candidates.length > 0) return Math.min(...candidates);
  return wall - before;
}

const QUARTER = 15 * 60_000;

/** Options of `nextCronRun`. */
export interface NextCronRunOptions {
  /** An IANA time zone such as `Europe/Berlin` (default `UTC`). */
  readonly timeZone?: string | undefined;
}

/**
 * The first time strictly after `after` that the expression names, in `timeZone`, or null when
 * none comes within 8 years (`0 0 30 2 *`). Times in a repeated hour (clocks go back) run once,
 * at their first occurrence; times in a skipped hour (clocks go forward) run that much later
 * (02:30 on the day clocks jump from 02:00 to 03:00 runs at 03:30).
 *
 * @example
 * ```ts
 * nextCronRun('0 9 * * mon-fri', new Date(), { timeZone: 'Europe/Berlin' });
 * ```
 */
export function nextCronRun(
  cron: string | CronExpression,
  after: Date | number,
  options: NextCronRunOptions = {},
): Date | null {
  const c = typeof cron === 'string' ? parseCron(cron) : cron;
  const timeZone = options.timeZone ?? 'UTC';
  const from = typeof after === 'number' ? after : after.getTime();
  const HOUR = 3_600_000;
  const DAY = 24 * HOUR;
  // Search wall-clock times from a little before `after`: a time in a skipped hour resolves
  // later than its wall-clock time says.
  const startWall = wallClock(from, timeZone) - 3 * HOUR;
  const firstDay = startWall - (((startWall % DAY) + DAY) % DAY);
  let best: number | null = null;
  let bestWall = 0;
  for (let day = firstDay; day <= firstDay + 8 * 366 * DAY; day += DAY) {
    if (!isDayMatch(c, new Date(day))) continue;
    for (const h of c.hours) {
      const hourWall = day + h * HOUR;
      if (hourWall + HOUR <= startWall) continue;
      // Per quarter hour, the offset when both ends of the quarter resolve with the same one
      // (no DST change inside it; zones change on the hour, the half or the quarter): every
      // time in it then maps by subtraction, which spares a schedule with seconds thousands of
      // Intl calls per search. Null: resolve each time on its own.
      const quarterOffset: Array<number | null | undefined> = [];
      for (const m of c.minutes)
        for (const s of c.seconds) {
          const wall = hourWall + m * 60_000 + s * 1000;
          if (wall < startWall) continue;
          // Wall-clock order is instant order except around a DST change, where instants
          // differ from wall-clock times by at most a few hours: look that far past the first hit.
          if (best !== null && wall > bestWall + 3 * HOUR) return new Date(best);
          const q = Math.floor(m / 15);
          let offset = quarterOffset[q];
          if (offset === undefined) {
            const first = hourWall + q * QUARTER;
            const last = first + QUARTER - 1000;
            const o = first - instantOf(first, timeZone);
            offset = quarterOffset[q] = o === last - instantOf(last, timeZone) ? o : null;
          }
          const at = offset === null ? instantOf(wall, timeZone) : wall - offset;
          if (at > from && (best === null || at < best)) {
            if (best === null) bestWall = wall;
            best = at;
          }
        }
    }
  }
  return best === null ? null : new Date(best);
}

function isDayMatch(c: CronExpression, d: Date): boolean {
  if (!c.months.includes(d.getUTCMonth() + 1)) return false;
  const domOk = c.daysOfMonth.includes(d.getUTCDate());
  const dowOk = c.daysOfWeek.includes(d.getUTCDay());
  if (c.isDayOfMonthRestricted && c.isDayOfWeekRestricted) return domOk || dowOk;
  if (c.isDayOfMonthRestricted) return domOk;
  if (c.isDayOfWeekRestricted) return dowOk;
  return true;
}
