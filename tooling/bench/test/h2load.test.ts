import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { h2loadArgs, parseH2load, parseH2loadLog, percentile } from '../src/h2load.js';

const output = readFileSync(new URL('./fixtures/h2load.txt', import.meta.url), 'utf8');

describe('percentile', () => {
  it('uses nearest rank', () => {
    const xs = Float64Array.from([1, 2, 3, 4, 5, 6, 7, 8, 9, 10]);
    expect(percentile(xs, 50)).toBe(5);
    expect(percentile(xs, 99)).toBe(10);
    expect(percentile(xs, 0)).toBe(1);
    expect(percentile([], 50)).toBeNull();
  });
});

describe('parseH2loadLog', () => {
  it('reads the latency column (µs) into sorted milliseconds', () => {
    const log = '1795303144729494\t200\t3948\n1795303144729495\t200\t1000\nbroken line\n';
    expect([...parseH2loadLog(log)]).toEqual([1, 3.948]);
  });
});

describe('parseH2load', () => {
  it('reads req/s and counts; percentiles from the log latencies', () => {
    const lat = Float64Array.from({ length: 100 }, (_, i) => i + 1);
    const m = parseH2load(output, lat);
    expect(m.requestsPerSec).toBe(19315);
    expect(m.requests).toBe(38630);
    expect(m.durationSec).toBeCloseTo(2, 6);
    expect(m.p50Ms).toBe(50);
    expect(m.p99Ms).toBe(99);
    expect(m.errors).toBe(0);
  });

  it('falls back to the mean for p50 without a log', () => {
    const m = parseH2load(output);
    expect(m.p50Ms).toBeCloseTo(5.05, 6);
    expect(m.p99Ms).toBeNull();
  });

  it('counts failed and timed-out requests as errors', () => {
    const m = parseH2load(
      output.replace('0 failed, 0 errored, 0 timeout', '7 failed, 3 errored, 2 timeout'),
    );
    expect(m.errors).toBe(9);
  });

  it('throws on output without a summary', () => {
    expect(() => parseH2load('connect error')).toThrow(/no summary/);
  });

  it('builds arguments with a log file and warm-up', () => {
    const { args, logFile } = h2loadArgs(
      { tool: 'h2load', path: '/', connections: 100, streams: 10 },
      'http://h:1',
      10,
      2,
      '/tmp/x',
    );
    expect(logFile).toBe('/tmp/x/h2load.log');
    expect(args).toEqual([
      '-t1',
      '-c100',
      '-m10',
      '-D10',
      '--log-file=/tmp/x/h2load.log',
      '--warm-up-time=2',
      'http://h:1/',
    ]);
  });
});
