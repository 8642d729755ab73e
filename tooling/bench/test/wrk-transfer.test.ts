import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatMiBps, formatTable, summarize } from '../src/table.js';
import type { Measurement } from '../src/types.js';
import { parseWrk, parseWrkSize } from '../src/wrk.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseWrkSize', () => {
  it.each([
    ['512.00B', 512],
    ['2.63MB', 2.63 * 1024 ** 2],
    ['434.23MB', 434.23 * 1024 ** 2],
    ['1.02GB', 1.02 * 1024 ** 3],
    ['17.50KB', 17.5 * 1024],
  ])('%s → %f bytes (binary prefixes, as wrk prints them)', (text, bytes) => {
    expect(parseWrkSize(text)).toBeCloseTo(bytes, 3);
  });

  it('rejects unknown units', () => {
    expect(() => parseWrkSize('3 bytes')).toThrow(/unrecognised/);
  });
});

describe('parseWrk Transfer/sec', () => {
  it('reads Transfer/sec of a large-file run (wrk -c4, 100 MiB file from nginx)', () => {
    const m = parseWrk(fixture('wrk-transfer.txt'));
    expect(m.requestsPerSec).toBe(3.29);
    expect(m.requests).toBe(7);
    expect(m.durationSec).toBeCloseTo(2.13, 6);
    expect(m.p90Ms).toBe(1390);
    expect(m.transferBytesPerSec).toBeCloseTo(434.23 * 1024 ** 2, 3);
    expect(m.errors).toBe(0);
  });

  it('reads it from the small-response fixture too', () => {
    expect(parseWrk(fixture('wrk-latency.txt')).transferBytesPerSec).toBeCloseTo(
      2.63 * 1024 ** 2,
      3,
    );
  });

  it('leaves it out when the line is missing (older captures stay valid)', () => {
    const text = fixture('wrk-latency.txt').replace(/^Transfer\/sec:.*$/m, '');
    const m = parseWrk(text);
    expect(m.requestsPerSec).toBe(17038.12);
    expect('transferBytesPerSec' in m).toBe(false);
  });
});

const MiB = 1024 ** 2;
const m = (rps: number, mibps: number | undefined): Measurement => ({
  requestsPerSec: rps,
  requests: rps * 10,
  durationSec: 10,
  p50Ms: 1,
  p75Ms: null,
  p90Ms: null,
  p99Ms: 2,
  errors: 0,
  ...(mibps === undefined ? {} : { transferBytesPerSec: mibps * MiB }),
});

describe('transfer in summaries and tables', () => {
  it('carries the median bytes/s, or the best round’s', () => {
    expect(summarize('a', [m(1, 100), m(3, 300), m(2, 200)]).transferBytesPerSec).toBe(200 * MiB);
    expect(summarize('a', [m(1, 100), m(3, 300)], 'best').transferBytesPerSec).toBe(300 * MiB);
    expect(summarize('a', [m(1, undefined)]).transferBytesPerSec).toBeNull();
  });

  it('formats MiB/s', () => {
    expect(formatMiBps(1234.56 * MiB)).toBe('1,234.6');
    expect(formatMiBps(null)).toBe('n/a');
  });

  it('adds a MiB/s column and computes the ratio on it for metric transfer', () => {
    const rows = [summarize('rws', [m(4, 500)]), summarize('nginx', [m(12, 1000)])];
    const table = formatTable(rows, 'rws', 'transfer');
    const cells = (line: string) => line.split('|').map((c) => c.trim());
    expect(cells(table.split('\n')[0]!).slice(1, 4)).toEqual(['target', 'req/s', 'MiB/s']);
    expect(table).toContain('500.0');
    expect(table).toContain('1,000.0');
    expect(table.split('\n')[3]).toContain('0.50×');
  });

  it('keeps the req/s table unchanged by default', () => {
    const rows = [summarize('rws', [m(4, 500)]), summarize('nginx', [m(12, 1000)])];
    const table = formatTable(rows, 'rws');
    expect(table).not.toContain('MiB/s');
    expect(table.split('\n')[3]).toContain('0.33×');
  });
});
