/**
 * Running h2load and parsing its report. h2load prints no percentiles, so p50/p99 come from
 * its `--log-file` (one line per request: start µs, status, latency µs).
 */
import { join } from 'node:path';
import type { H2loadLoad, Measurement } from './types.js';

/** The value at percentile `p` (0–100) of ascending `sorted`, nearest-rank; null when empty. */
export function percentile(sorted: ArrayLike<number>, p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1]!;
}

/** Latencies in milliseconds, ascending, from an h2load `--log-file`. */
export function parseH2loadLog(text: string): Float64Array {
  const out: number[] = [];
  for (const line of text.split('\n')) {
    const cols = line.split('\t');
    if (cols.length < 3) continue;
    const us = Number(cols[2]);
    if (Number.isFinite(us)) out.push(us / 1000);
  }
  return Float64Array.from(out).sort();
}

/** Parses h2load's stdout; `latenciesMs` (from the log file, sorted) gives the percentiles. */
export function parseH2load(output: string, latenciesMs?: ArrayLike<number>): Measurement {
  const finished = /^finished in ([\d.]+)(m?s), ([\d.]+) req\/s/m.exec(output);
  const requests =
    /^requests: (\d+) total, (\d+) started, (\d+) done, (\d+) succeeded, (\d+) failed, (\d+) errored, (\d+) timeout/m.exec(
      output,
    );
  if (finished === null || requests === null) {
    throw new Error(`h2load output has no summary:\n${output}`);
  }
  const rps = Number(finished[3]);
  const done = Number(requests[3]);
  const mean = /^time for request:\s+\S+\s+\S+\s+([\d.]+)(us|ms|s)/m.exec(output);
  const lat = latenciesMs ?? [];
  const fromLog = (p: number): number | null => percentile(lat, p);
  const meanMs =
    mean === null
      ? null
      : Number(mean[1]) * (mean[2] === 'us' ? 0.001 : mean[2] === 's' ? 1000 : 1);
  return {
    requestsPerSec: rps,
    requests: done,
    durationSec: rps > 0 ? done / rps : 0,
    // Without a log file the mean is the best central value h2load offers.
    p50Ms: lat.length > 0 ? fromLog(50) : meanMs,
    p75Ms: fromLog(75),
    p90Ms: fromLog(90),
    p99Ms: fromLog(99),
    errors: Number(requests[5]) + Number(requests[7]),
  };
}

/** The h2load argument list for a load (without the leading `h2load`). */
export function h2loadArgs(
  load: H2loadLoad,
  url: string,
  durationSec: number,
  warmupSec: number,
  scratchDir: string,
): { args: string[]; logFile: string } {
  const logFile = join(scratchDir, 'h2load.log');
  const args = [
    `-t${load.threads ?? 1}`,
    `-c${load.connections}`,
    `-m${load.streams ?? 10}`,
    `-D${durationSec}`,
    `--log-file=${logFile}`,
  ];
  if (warmupSec > 0) args.push(`--warm-up-time=${warmupSec}`);
  for (const [k, v] of Object.entries(load.headers ?? {})) args.push('-H', `${k}: ${v}`);
  args.push(url + load.path);
  return { args, logFile };
}
