import { describe, expect, it } from 'vitest';
import { nextCronRun, parseCron } from '../src/index.js';
import { isRwsErrorCode } from './conformance-imports.js';

const next = (cron: string, after: string, timeZone?: string) =>
  nextCronRun(cron, new Date(after), { timeZone })?.toISOString() ?? null;

describe('parseCron', () => {
  it.each([
    ['*/15 * * * *', { seconds: [0], minutes: [0, 15, 30, 45] }],
    ['5/20 * * * *', { minutes: [5, 25, 45] }],
    ['10-50/20 * * * *', { minutes: [10, 30, 50] }],
    ['*/20 0 * * * *', { seconds: [0, 20, 40], minutes: [0] }],
    ['0 9-17/4 * * *', { hours: [9, 13, 17] }],
    [
      '0 0 1,15,31 * *',
      { daysOfMonth: [1, 15, 31], isDayOfMonthRestricted: true, isDayOfWeekRestricted: false },
    ],
    ['0 0 * JAN-MAR,dec *', { months: [1, 2, 3, 12] }],
    ['0 0 * * mon-fri', { daysOfWeek: [1, 2, 3, 4, 5], isDayOfWeekRestricted: true }],
    ['0 0 * * 7', { daysOfWeek: [0] }],
    ['0 0 * * 5-7', { daysOfWeek: [0, 5, 6] }],
    ['@hourly', { minutes: [0], hours: Array.from({ length: 24 }, (_, i) => i) }],
    ['@daily', { minutes: [0], hours: [0] }],
    ['@midnight', { minutes: [0], hours: [0] }],
    ['@weekly', { daysOfWeek: [0], isDayOfWeekRestricted: true }],
    ['@monthly', { daysOfMonth: [1] }],
    ['@yearly', { daysOfMonth: [1], months: [1] }],
    ['@annually', { daysOfMonth: [1], months: [1] }],
  ])('%s', (cron, fields) => {
    expect(parseCron(cron)).toMatchObject(fields);
  });

  it.each([
    ['* * * *', /expected 5 or 6 fields, got 4/],
    ['* * * * * * *', /expected 5 or 6 fields, got 7/],
    ['60 * * * *', /minute 60 is outside 0-59/],
    ['* 24 * * *', /hour 24 is outside 0-23/],
    ['* * 0 * *', /day of month 0 is outside 1-31/],
    ['* * * 13 *', /month 13 is outside 1-12/],
    ['* * * * 8', /day of week 8 is outside 0-7/],
    ['61 * * * * *', /second 61 is outside 0-59/],
    ['*/0 * * * *', /step "0" must be a positive integer/],
    ['5-1 * * * *', /range "5-1" runs backwards/],
    ['1,,2 * * * *', /empty list item/],
    ['* * * foo *', /month has an unknown value "foo"/],
    ['* * * * funday', /day of week has an unknown value "funday"/],
    ['@every', /unknown macro "@every"/],
    ['1/2/3 * * * *', /two steps/],
  ])('refuses %s', (cron, message) => {
    let err: unknown;
    try {
      parseCron(cron);
    } catch (e) {
      err = e;
    }
    expect(isRwsErrorCode(err, 'RWS_JOBS_INVALID_CRON')).toBe(true);
    expect((err as Error).message).toMatch(message);
  });
});

describe('nextCronRun in UTC', () => {
  it.each([
    ['0 9 * * mon-fri', '2026-01-02T10:00:00.000Z', '2026-01-05T09:00:00.000Z'],
    ['*/15 * * * *', '2026-01-01T00:07:30.000Z', '2026-01-01T00:15:00.000Z'],
    ['*/10 * * * * *', '2026-01-01T00:00:05.000Z', '2026-01-01T00:00:10.000Z'],
    // Strictly after: a time that is due now is the previous run.
    ['@hourly', '2026-01-01T10:00:00.000Z', '2026-01-01T11:00:00.000Z'],
    ['@hourly', '2026-12-31T23:59:59.999Z', '2027-01-01T00:00:00.000Z'],
    ['0 0 29 2 *', '2026-03-01T00:00:00.000Z', '2028-02-29T00:00:00.000Z'],
    ['0 0 31 * *', '2026-04-01T00:00:00.000Z', '2026-05-31T00:00:00.000Z'],
    // Both day fields restricted: either matches (2 January 2026 is a Friday).
    ['0 0 13 * fri', '2026-01-01T00:00:00.000Z', '2026-01-02T00:00:00.000Z'],
    ['0 0 13 * fri', '2026-01-10T00:00:00.000Z', '2026-01-13T00:00:00.000Z'],
    ['0 12 * jan-mar,dec sun', '2026-03-30T00:00:00.000Z', '2026-12-06T12:00:00.000Z'],
    ['0 0 * * 7', '2026-01-01T00:00:00.000Z', '2026-01-04T00:00:00.000Z'],
  ])('%s after %s is %s', (cron, after, expected) => {
    expect(next(cron, after)).toBe(expected);
  });

  it('an expression that never matches gives null', () => {
    expect(next('0 0 30 2 *', '2026-01-01T00:00:00Z')).toBeNull();
  });

  it('an unknown time zone is refused', () => {
    let err: unknown;
    try {
      nextCronRun('* * * * *', 0, { timeZone: 'Mars/Olympus_Mons' });
    } catch (e) {
      err = e;
    }
    expect(isRwsErrorCode(err, 'RWS_JOBS_INVALID_CRON')).toBe(true);
    expect((err as Error).message).toMatch(/unknown time zone "Mars\/Olympus_Mons"/);
  });
});

describe('nextCronRun across DST changes', () => {
  it.each([
    // America/New_York: 8 March 2026 02:00 EST → 03:00 EDT; 1 November 2026 02:00 EDT → 01:00 EST.
    [
      'spring: 09:00 keeps its wall-clock time',
      '0 9 * * *',
      '2026-03-07T15:00:00Z',
      'America/New_York',
      '2026-03-08T13:00:00.000Z',
    ],
    [
      'spring: 02:30 does not exist and runs an hour later, at 03:30 EDT',
      '30 2 * * *',
      '2026-03-07T12:00:00Z',
      'America/New_York',
      '2026-03-08T07:30:00.000Z',
    ],
    [
      'spring: the day after, 02:30 EDT',
      '30 2 * * *',
      '2026-03-08T07:30:00Z',
      'America/New_York',
      '2026-03-09T06:30:00.000Z',
    ],
    [
      'spring: hourly skips the missing hour',
      '0 * * * *',
      '2026-03-08T06:30:00Z',
      'America/New_York',
      '2026-03-08T07:00:00.000Z',
    ],
    [
      'fall: 01:30 runs at its first occurrence (EDT)',
      '30 1 * * *',
      '2026-10-31T12:00:00Z',
      'America/New_York',
      '2026-11-01T05:30:00.000Z',
    ],
    [
      'fall: and not again in the repeated hour',
      '30 1 * * *',
      '2026-11-01T05:30:00Z',
      'America/New_York',
      '2026-11-02T06:30:00.000Z',
    ],
    [
      'fall: 09:00 keeps its wall-clock time',
      '0 9 * * *',
      '2026-10-31T14:00:00Z',
      'America/New_York',
      '2026-11-01T14:00:00.000Z',
    ],
    // Europe/Berlin: 29 March 2026 02:00 CET → 03:00 CEST; 25 October 2026 03:00 CEST → 02:00 CET.
    [
      'spring: 02:30 runs at 03:30 CEST',
      '30 2 * * *',
      '2026-03-28T12:00:00Z',
      'Europe/Berlin',
      '2026-03-29T01:30:00.000Z',
    ],
    [
      'spring: 09:00 CEST',
      '0 9 * * *',
      '2026-03-28T09:00:00Z',
      'Europe/Berlin',
      '2026-03-29T07:00:00.000Z',
    ],
    [
      'fall: 02:30 at its first occurrence (CEST)',
      '30 2 * * *',
      '2026-10-24T12:00:00Z',
      'Europe/Berlin',
      '2026-10-25T00:30:00.000Z',
    ],
    [
      'fall: midnight after the change is CET',
      '0 0 * * *',
      '2026-10-24T23:00:00Z',
      'Europe/Berlin',
      '2026-10-25T23:00:00.000Z',
    ],
    [
      'fall: every 30 min, first pass through the repeated hour',
      '*/30 * * * *',
      '2026-10-25T00:10:00Z',
      'Europe/Berlin',
      '2026-10-25T00:30:00.000Z',
    ],
    [
      'Asia/Kolkata (+05:30, no DST)',
      '0 9 * * *',
      '2026-06-01T00:00:00Z',
      'Asia/Kolkata',
      '2026-06-01T03:30:00.000Z',
    ],
  ])('%s', (_what, cron, after, timeZone, expected) => {
    expect(next(cron, after, timeZone)).toBe(expected);
  });

  it('a run every 10 minutes through a whole spring-forward day never goes backwards', () => {
    let at = new Date('2026-03-08T00:00:00Z').getTime();
    const seen: number[] = [];
    for (let i = 0; i < 140; i++) {
      const n = nextCronRun('*/10 * * * *', at, { timeZone: 'America/New_York' });
      expect(n).not.toBeNull();
      at = (n as Date).getTime();
      seen.push(at);
    }
    for (let i = 1; i < seen.length; i++) expect(seen[i] ?? 0).toBeGreaterThan(seen[i - 1] ?? 0);
  });
});

describe('nextCronRun with a seconds field (issue #16)', () => {
  // Each search used to resolve three hours of seconds through Intl, a second per call: a
  // scheduler ticking every second blocked its event loop and missed ticks.
  it('resolves 600 consecutive every-second ticks, in UTC and across a New York DST change', () => {
    const c = parseCron('* * * * * *');
    for (const [zone, from] of [
      ['UTC', Date.UTC(2026, 0, 1)],
      ['America/New_York', Date.UTC(2026, 2, 8, 6, 59, 30)],
    ] as const) {
      let t: number = from;
      for (let i = 0; i < 300; i++) {
        const next = nextCronRun(c, t, { timeZone: zone })?.getTime();
        expect(next).toBe(t + 1000);
        t = next ?? t;
      }
    }
  }, 60_000);
});
