/** Summaries over rounds and the markdown table `pnpm bench` prints. Pure functions. */
import type { Load, Measurement, TargetSummary } from './types.js';

/** Median of numbers (mean of the middle two for an even count); null when there are none. */
export function median(values: readonly number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * How rounds fold into one number: `median` (default), or `best` — the round with the highest
 * req/s, with its own latencies — for a shared machine where other work only ever slows a
 * round down.
 */
export type Stat = 'median' | 'best';

/** Folds the rounds of one target into one req/s and latency pair, the spread and the errors. */
export function summarize(
  target: string,
  rounds: readonly Measurement[],
  stat: Stat = 'median',
): TargetSummary {
  const rps = rounds.map((r) => r.requestsPerSec);
  const med = median(rps) ?? 0;
  if (stat === 'best' && rounds.length > 0) {
    const best = rounds.reduce((a, b) => (b.requestsPerSec > a.requestsPerSec ? b : a));
    return {
      target,
      requestsPerSec: best.requestsPerSec,
      spreadPct: med > 0 ? ((Math.max(...rps) - Math.min(...rps)) / med) * 100 : 0,
      p50Ms: best.p50Ms,
      p99Ms: best.p99Ms,
      errors: rounds.reduce((n, r) => n + r.errors, 0),
      transferBytesPerSec: best.transferBytesPerSec ?? null,
      rounds,
    };
  }
  const spreadPct =
    rounds.length > 1 && med > 0 ? ((Math.max(...rps) - Math.min(...rps)) / med) * 100 : 0;
  const nonNull = (xs: (number | null)[]) => xs.filter((x): x is number => x !== null);
  return {
    target,
    requestsPerSec: med,
    spreadPct,
    p50Ms: median(nonNull(rounds.map((r) => r.p50Ms))),
    p99Ms: median(nonNull(rounds.map((r) => r.p99Ms))),
    errors: rounds.reduce((n, r) => n + r.errors, 0),
    transferBytesPerSec: median(nonNull(rounds.map((r) => r.transferBytesPerSec ?? null))),
    rounds,
  };
}

/** Subject req/s divided by the peer's: above 1 means the subject serves more. */
export function ratio(subjectRps: number, peerRps: number): number | null {
  return peerRps > 0 ? subjectRps / peerRps : null;
}

/** `12345.6` → `12,346`. */
export function formatRps(rps: number): string {
  return Math.round(rps).toLocaleString('en-US');
}

/** Bytes per second as MiB/s with one decimal (wrk's `MB` is MiB), `n/a` when unknown. */
export function formatMiBps(bytesPerSec: number | null | undefined): string {
  return bytesPerSec === null || bytesPerSec === undefined
    ? 'n/a'
    : (bytesPerSec / 1024 ** 2).toLocaleString('en-US', {
        minimumFractionDigits: 1,
        maximumFractionDigits: 1,
      });
}

/** Milliseconds with two decimals, `n/a` when unknown. */
export function formatMs(ms: number | null): string {
  return ms === null ? 'n/a' : `${ms.toFixed(2)} ms`;
}

/** One line describing a load, e.g. `wrk -t1 -c100, pipelined ×10, GET /`. */
export function describeLoad(load: Load): string {
  if (load.tool === 'wrk') {
    const depth = load.pipeline ?? 1;
    return `wrk -t${load.threads ?? 1} -c${load.connections}${depth > 1 ? `, pipeline ${depth}` : ''}, ${load.method ?? 'GET'} ${load.path}`;
  }
  return `h2load -t${load.threads ?? 1} -c${load.connections} -m${load.streams ?? 10}, GET ${load.path}`;
}

/**
 * A markdown table of one case: one row per target in the given order, with the subject's
 * req/s ratio against each row (the subject's own row reads 1.00×). With metric `transfer`,
 * a MiB/s column follows req/s and the ratio is computed on bytes per second instead.
 */
export function formatTable(
  summaries: readonly TargetSummary[],
  subject: string,
  metric: 'requests' | 'transfer' = 'requests',
): string {
  const subj = summaries.find((s) => s.target === subject);
  const transfer = metric === 'transfer';
  const header = ['target', 'req/s', 'spread', 'p50', 'p99', 'errors', `${subject} ÷ target`];
  if (transfer) header.splice(2, 0, 'MiB/s');
  const rows = summaries.map((s) => {
    const r =
      subj === undefined
        ? null
        : transfer
          ? ratio(subj.transferBytesPerSec ?? 0, s.transferBytesPerSec ?? 0)
          : ratio(subj.requestsPerSec, s.requestsPerSec);
    const cells = [
      s.target === subject ? `**${s.target}**` : s.target,
      formatRps(s.requestsPerSec),
      `±${(s.spreadPct / 2).toFixed(1)}%`,
      formatMs(s.p50Ms),
      formatMs(s.p99Ms),
      String(s.errors),
      r === null ? 'n/a' : `${r.toFixed(2)}×`,
    ];
    if (transfer) cells.splice(2, 0, formatMiBps(s.transferBytesPerSec));
    return cells;
  });
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: readonly string[]) =>
    `| ${cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(' | ')} |`;
  const rule = `|${widths.map((w, i) => (i === 0 ? `:${'-'.repeat(w + 1)}` : `${'-'.repeat(w + 1)}:`)).join('|')}|`;
  return [line(header), rule, ...rows.map(line)].join('\n');
}
