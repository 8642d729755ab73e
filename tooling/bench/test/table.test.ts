import { describe, expect, it } from 'vitest';
import {
  describeLoad,
  formatMs,
  formatRps,
  formatTable,
  median,
  ratio,
  summarize,
} from '../src/table.js';
import type { Measurement } from '../src/types.js';

const m = (rps: number, p50: number | null, p99: number | null, errors = 0): Measurement => ({
  requestsPerSec: rps,
  requests: rps * 10,
  durationSec: 10,
  p50Ms: p50,
  p75Ms: null,
  p90Ms: null,
  p99Ms: p99,
  errors,
});

describe('summaries', () => {
  it('takes medians over rounds', () => {
    expect(median([3, 1, 2])).toBe(2);
    expect(median([4, 1, 2, 3])).toBe(2.5);
    expect(median([])).toBeNull();
  });

  it('summarizes rounds: median req/s, spread, latencies and errors', () => {
    const s = summarize('a', [m(90, 1, 4, 1), m(110, 3, 6, 2)]);
    expect(s.requestsPerSec).toBe(100);
    expect(s.spreadPct).toBeCloseTo(20, 6);
    expect(s.p50Ms).toBe(2);
    expect(s.p99Ms).toBe(5);
    expect(s.errors).toBe(3);
  });

  it('takes the best round, with its own latencies, for stat best', () => {
    const s = summarize('a', [m(90, 1, 4, 1), m(110, 3, 6, 2), m(100, 2, 5)], 'best');
    expect(s.requestsPerSec).toBe(110);
    expect(s.p50Ms).toBe(3);
    expect(s.p99Ms).toBe(6);
    expect(s.spreadPct).toBeCloseTo(20, 6);
    expect(s.errors).toBe(3);
  });

  it('has no spread with one round', () => {
    expect(summarize('a', [m(100, null, null)]).spreadPct).toBe(0);
  });

  it('computes ratios as subject ÷ peer', () => {
    expect(ratio(150, 100)).toBe(1.5);
    expect(ratio(150, 0)).toBeNull();
  });
});

describe('formatting', () => {
  it('formats numbers', () => {
    expect(formatRps(12345.6)).toBe('12,346');
    expect(formatMs(1.234)).toBe('1.23 ms');
    expect(formatMs(null)).toBe('n/a');
  });

  it('describes loads', () => {
    expect(describeLoad({ tool: 'wrk', path: '/', connections: 100 })).toBe('wrk -t1 -c100, GET /');
    expect(describeLoad({ tool: 'wrk', path: '/', connections: 100, pipeline: 10 })).toBe(
      'wrk -t1 -c100, pipeline 10, GET /',
    );
    expect(describeLoad({ tool: 'h2load', path: '/', connections: 10 })).toBe(
      'h2load -t1 -c10 -m10, GET /',
    );
  });

  it('prints a markdown table with the subject ratio per row', () => {
    const table = formatTable(
      [
        summarize('rws', [m(120_000, 0.8, 2.5)]),
        summarize('node-http', [m(60_000, 1.6, 5)]),
        summarize('nginx', [m(0, null, null, 7)]),
      ],
      'rws',
    );
    expect(table).toMatchInlineSnapshot(`
      "| target    |   req/s | spread |     p50 |     p99 | errors | rws ÷ target |
      |:----------|--------:|-------:|--------:|--------:|-------:|-------------:|
      | **rws**   | 120,000 |  ±0.0% | 0.80 ms | 2.50 ms |      0 |        1.00× |
      | node-http |  60,000 |  ±0.0% | 1.60 ms | 5.00 ms |      0 |        2.00× |
      | nginx     |       0 |  ±0.0% |     n/a |     n/a |      7 |          n/a |"
    `);
  });
});
