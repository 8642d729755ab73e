import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { parseWrk, parseWrkDuration, wrkArgs, wrkScript } from '../src/wrk.js';

const fixture = (name: string) =>
  readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

describe('parseWrkDuration', () => {
  it.each([
    ['448.00us', 0.448],
    ['2.06ms', 2.06],
    ['1.00s', 1000],
    ['1.50m', 90_000],
    ['1.00h', 3_600_000],
  ])('%s → %f ms', (text, ms) => {
    expect(parseWrkDuration(text)).toBeCloseTo(ms, 6);
  });

  it('rejects unknown units', () => {
    expect(() => parseWrkDuration('3days')).toThrow(/unrecognised/);
  });
});

describe('parseWrk', () => {
  it('reads req/s, totals and the latency distribution', () => {
    const m = parseWrk(fixture('wrk-latency.txt'));
    expect(m.requestsPerSec).toBe(17038.12);
    expect(m.requests).toBe(17081);
    expect(m.durationSec).toBe(1);
    expect(m.p50Ms).toBeCloseTo(0.448, 6);
    expect(m.p75Ms).toBeCloseTo(0.724, 6);
    expect(m.p90Ms).toBeCloseTo(2.06, 6);
    expect(m.p99Ms).toBeCloseTo(8.05, 6);
    expect(m.errors).toBe(0);
  });

  it('sums socket errors and non-2xx/3xx responses, minutes and seconds units', () => {
    const m = parseWrk(fixture('wrk-pipelined.txt'));
    expect(m.requestsPerSec).toBe(249876.54);
    expect(m.durationSec).toBe(60);
    expect(m.p99Ms).toBe(1000);
    expect(m.errors).toBe(10);
  });

  it('leaves percentiles null without --latency', () => {
    const text = fixture('wrk-latency.txt').replace(
      / {2}Latency Distribution[\s\S]*?(?= {2}\d+ requests)/,
      '',
    );
    const m = parseWrk(text);
    expect(m.p50Ms).toBeNull();
    expect(m.requestsPerSec).toBe(17038.12);
  });

  it('throws on output without a summary', () => {
    expect(() => parseWrk('unable to connect to 127.0.0.1:1 Connection refused')).toThrow(
      /no summary/,
    );
  });
});

describe('wrk load', () => {
  it('uses no script for a plain GET', async () => {
    const args = await wrkArgs(
      { tool: 'wrk', path: '/', connections: 100 },
      'http://h:1',
      10,
      '/nonexistent',
    );
    expect(args).toEqual(['-t1', '-c100', '-d10s', '--timeout', '10s', '--latency', 'http://h:1/']);
  });

  it('builds a pipelining script of depth N', () => {
    const lua = wrkScript({ tool: 'wrk', path: '/x', connections: 1, pipeline: 10 });
    expect(lua).toContain('local depth = 10');
    expect(lua).toContain('local path = "/x"');
    expect(lua).toContain('request = function() return req end');
  });

  it('quotes headers and body into the script', () => {
    const lua = wrkScript({
      tool: 'wrk',
      path: '/p',
      connections: 1,
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"a":1}',
    });
    expect(lua).toContain('local method = "POST"');
    expect(lua).toContain('["content-type"] = "application/json"');
    expect(lua).toContain('local body = "{\\"a\\":1}"');
  });
});
