/**
 * Running wrk and parsing its `--latency` report. The parser is pure so tests can feed it
 * captured output without wrk installed.
 */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Measurement, WrkLoad } from './types.js';

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  us: 0.001,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** Parses a wrk duration such as `448.00us`, `2.06ms`, `1.00s` or `1.00m` into milliseconds. */
export function parseWrkDuration(text: string): number {
  const m = /^([\d.]+)(us|ms|s|m|h)$/.exec(text.trim());
  if (m === null) throw new Error(`unrecognised wrk duration: ${JSON.stringify(text)}`);
  return Number(m[1]) * DURATION_UNITS_MS[m[2]!]!;
}

// wrk prints sizes with binary prefixes (its format_binary divides by 1024).
const SIZE_UNITS_BYTES: Readonly<Record<string, number>> = {
  B: 1,
  KB: 1024,
  MB: 1024 ** 2,
  GB: 1024 ** 3,
  TB: 1024 ** 4,
};

/** Parses a wrk size such as `2.63MB`, `512.00B` or `1.02GB` into bytes (1 KB = 1024 B). */
export function parseWrkSize(text: string): number {
  const m = /^([\d.]+)(B|KB|MB|GB|TB)$/.exec(text.trim());
  if (m === null) throw new Error(`unrecognised wrk size: ${JSON.stringify(text)}`);
  return Number(m[1]) * SIZE_UNITS_BYTES[m[2]!]!;
}

/** Parses the report wrk prints with `--latency`. Throws when the summary lines are missing. */
export function parseWrk(output: string): Measurement {
  const rps = /^Requests\/sec:\s+([\d.]+)/m.exec(output);
  const total = /^\s*(\d+) requests in ([\d.]+\w+),/m.exec(output);
  if (rps === null || total === null) {
    throw new Error(`wrk output has no summary:\n${output}`);
  }
  const percentile = (p: number): number | null => {
    const m = new RegExp(`^\\s+${p}%\\s+([\\d.]+\\w+)\\s*$`, 'm').exec(output);
    return m === null ? null : parseWrkDuration(m[1]!);
  };
  let errors = 0;
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(
    output,
  );
  if (socket !== null) {
    errors += Number(socket[1]) + Number(socket[2]) + Number(socket[3]) + Number(socket[4]);
  }
  const non2xx = /Non-2xx or 3xx responses: (\d+)/.exec(output);
  if (non2xx !== null) errors += Number(non2xx[1]);
  const transfer = /^Transfer\/sec:\s+([\d.]+[KMGT]?B)\s*$/m.exec(output);
  return {
    requestsPerSec: Number(rps[1]),
    requests: Number(total[1]),
    durationSec: parseWrkDuration(total[2]!) / 1000,
    p50Ms: percentile(50),
    p75Ms: percentile(75),
    p90Ms: percentile(90),
    p99Ms: percentile(99),
    errors,
    ...(transfer === null ? {} : { transferBytesPerSec: parseWrkSize(transfer[1]!) }),
  };
}

/**
 * A wrk script for a load: pipelining writes `depth` requests per send (latency is then per
 * batch), and method/headers/body go through `wrk.format`.
 */
export function wrkScript(load: WrkLoad): string {
  const depth = load.pipeline ?? 1;
  const headers = Object.entries(load.headers ?? {})
    .map(([k, v]) => `[${JSON.stringify(k)}] = ${JSON.stringify(v)}`)
    .join(', ');
  const body = load.body === undefined ? 'nil' : JSON.stringify(load.body);
  return [
    `local method = ${JSON.stringify(load.method ?? 'GET')}`,
    `local path = ${JSON.stringify(load.path)}`,
    `local headers = { ${headers} }`,
    `local body = ${body}`,
    `local depth = ${depth}`,
    'local req',
    'init = function(args)',
    '  local r = {}',
    '  for i = 1, depth do r[i] = wrk.format(method, path, headers, body) end',
    '  req = table.concat(r)',
    'end',
    'request = function() return req end',
    '',
  ].join('\n');
}

/** The wrk argument list for a load (without the leading `wrk`). Writes the lua script. */
export async function wrkArgs(
  load: WrkLoad,
  url: string,
  durationSec: number,
  scratchDir: string,
): Promise<string[]> {
  const args = [
    `-t${load.threads ?? 1}`,
    `-c${load.connections}`,
    `-d${durationSec}s`,
    '--timeout',
    '10s',
    '--latency',
  ];
  const simple =
    (load.pipeline ?? 1) === 1 &&
    (load.method ?? 'GET') === 'GET' &&
    load.headers === undefined &&
    load.body === undefined;
  if (!simple) {
    const script = join(scratchDir, 'load.lua');
    await writeFile(script, wrkScript(load));
    args.push('-s', script);
  }
  args.push(url + load.path);
  return args;
}
