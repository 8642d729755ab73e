import { ERROR_CODES, JobsError } from './errors.js';

/** A parsed cron expression: the allowed values of each field. */
export interface CronExpression {
  readonly source: string;
  readonly seconds: readonly number[];
  readonly minutes: readonly number[];
  readonly hours: readonly number[];
  readonly daysOfMonth: readonly number[];
  readonly months: readonly number[];
  /** 0 = Sunday … 6 = Saturday (7 in the source is read as 0). */
  readonly daysOfWeek: readonly number[];
  /** Day of month was not `*` (Vixie cron: with both days restricted, either matches). */
  readonly isDayOfMonthRestricted: boolean;
  readonly isDayOfWeekRestricted: boolean;
}

const MACROS: Readonly<Record<string, string>> = {
  '@yearly': '0 0 1 1 *',
  '@annually': '0 0 1 1 *',
  '@monthly': '0 0 1 * *',
  '@weekly': '0 0 * * 0',
  '@daily': '0 0 * * *',
  '@midnight': '0 0 * * *',
  '@hourly': '0 * * * *',
};
const MONTHS = ['jan', 'feb', 'mar', 'apr', 'may', 'jun', 'jul', 'aug', 'sep', 'oct', 'nov', 'dec'];
const DAYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

interface FieldSpec {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: readonly string[];
  /** Value of names[0]. */
  readonly nameBase?: number;
}
const SECOND: FieldSpec = { name: 'second', min: 0, max: 59 };
const MINUTE: FieldSpec = { name: 'minute', min: 0, max: 59 };
const HOUR: FieldSpec = { name: 'hour', min: 0, max: 23 };
const DOM: FieldSpec = { name: 'day of month', min: 1, max: 31 };
const MONTH: FieldSpec = { name: 'month', min: 1, max: 12, names: MONTHS, nameBase: 1 };
const DOW: FieldSpec = { name: 'day of week', min: 0, max: 7, names: DAYS, nameBase: 0 };

function fail(source: string, why: string): JobsError {
  return new JobsError(ERROR_CODES.INVALID_CRON, `cron ${JSON.stringify(source)}: ${why}`);
}

function value(text: string, spec: FieldSpec, source: string): number {
  const named = spec.names?.indexOf(text.toLowerCase()) ?? -1;
  if (named >= 0) return named + (spec.nameBase ?? 0);
  if (!/^\d+$/.test(text))
    throw fail(source, `${spec.name} has an unknown value ${JSON.stringify(text)}`);
  const n = Number(text);
  if (n < spec.min || n > spec.max)
    throw fail(source, `${spec.name} ${n} is outside ${spec.min}-${spec.max}`);
  return n;
}

function field(text: string, spec: FieldSpec, source: string): number[] {
  const out = new Set<number>();
  for (const part of text.split(',')) {
    if (part === '') throw fail(source, `${spec.name} has an empty list item`);
    const [range = '', stepText, extra] = part.split('/');
    if (extra !== undefined)
      throw fail(source, `${spec.name} has two steps in ${JSON.stringify(part)}`);
    let step = 1;
    if (stepText !== undefined) {
      if (!/^\d+$/.test(stepText) || Number(stepText) === 0)
        throw fail(
          source,
          `${spec.name} step ${JSON.stringify(stepText)} must be a positive integer`,
        );
      step = Number(stepText);
    }
    let lo: number;
    let hi: number;
    if (range === '*' || range === '?') {
      lo = spec.min;
      hi = spec.max;
    } else if (range.includes('-')) {
      const [a = '', b = ''] = range.split('-');
      lo = value(a, spec, source);
      hi = value(b, spec, source);
      if (lo > hi) throw fail(source, `${spec.name} range ${JSON.stringify(range)} runs backwards`);
    } else {
      lo = value(range, spec, source);
      // `5/15` means from 5 to the end in steps of 15.
      hi = stepText === undefined ? lo : spec.max;
    }
    for (let v = lo; v <= hi; v += step) out.add(v);
  }
  return [...out].sort((a, b) => a - b);
}

/**
 * Parses a cron expression: 5 fields (minute hour day-of-month month day-of-week) or 6 with
 * seconds first; `*`, lists `1,5`, ranges `1-5`, steps `*\/15`, `10-50/20` and `5/15`; month
 * and weekday names (`jan`, `mon-fri`, case-insensitive); 0 or 7 for Sunday; and the macros
 * `@yearly` (`@annually`), `@monthly`, `@weekly`, `@daily` (`@midnight`) and `@hourly`. When both
 * day fields are restricted a day matches either (as Vixie cron).
 *
 * @example
 * ```ts
 * parseCron('0 9 * * mon-fri'); // 09:00 on weekdays
 * ```
 */
export function parseCron(expression: string): CronExpression {
  const source = expression.trim();
  let text = source;
  if (text.startsWith('@')) {
    const macro = MACROS[text.toLowerCase()];
    if (macro === undefined) throw fail(source, `unknown macro ${JSON.stringify(text)}`);
    text = macro;
  }
  const parts = text.split(/\s+/);
  if (parts.length !== 5 && parts.length !== 6)
    throw fail(source, `expected 5 or 6 fields, got ${parts.length}`);
  const [s, mi, h, dom, mo, dow] = (parts.length === 5 ? ['0', ...parts] : parts) as [
    string,
    string,
    string,
    string,
    string,
    string,
  ];
  const daysOfWeek = [...new Set(field(dow, DOW, source).map((d) => d % 7))].sort((a, b) => a - b);
  return {
    source,
    seconds: field(s, SECOND, source),
    minutes: field(mi, MINUTE, source),
    hours: field(h, HOUR, source),
    daysOfMonth: field(dom, DOM, source),
    months: field(mo, MONTH, source),
    daysOfWeek,
    isDayOfMonthRestricted: !(dom === '*' || dom === '?'),
    isDayOfWeekRestricted: !(dow === '*' || dow === '?'),
  };
}
