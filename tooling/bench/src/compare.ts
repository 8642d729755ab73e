/**
 * `pnpm bench <suite> --baseline` / `--compare`: a run's results saved as the suite's baseline,
 * and a later run printed against it row by row, so a slowdown shows in review. Only ratios
 * between runs on the same idle machine mean anything; the table says what it compares.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The parts of a results JSON (`SuiteResult`) a comparison reads. */
export interface ComparableResult {
  readonly suite: string;
  readonly date: string;
  readonly cases: readonly {
    readonly name: string;
    readonly summaries: readonly {
      readonly target: string;
      readonly requestsPerSec: number;
      readonly p99Ms: number | null;
      readonly transferBytesPerSec?: number | null | undefined;
    }[];
  }[];
}

/** Where `--baseline` saves and `--compare` reads a suite's baseline. */
function baselineFile(dir: string, suite: string): string {
  return join(dir, `${suite}.baseline.json`);
}

/** Saves `result` as its suite's baseline; returns the file. */
export async function saveBaseline(dir: string, result: ComparableResult): Promise<string> {
  await mkdir(dir, { recursive: true });
  const file = baselineFile(dir, result.suite);
  await writeFile(file, `${JSON.stringify(result, null, 2)}\n`);
  return file;
}

/** Reads a suite's baseline; a clear error when there is none. */
export async function loadBaseline(dir: string, suite: string): Promise<ComparableResult> {
  const file = baselineFile(dir, suite);
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch {
    throw new Error(
      `no baseline for ${suite}: run \`pnpm bench ${suite} --baseline\` first (${file})`,
    );
  }
  return JSON.parse(text) as ComparableResult;
}

function change(before: number | null | undefined, after: number | null | undefined): string {
  if (before === null || before === undefined || after === null || after === undefined) return '—';
  if (before === 0) return '—';
  const pct = ((after - before) / before) * 100;
  return `${pct >= 0 ? '+' : ''}${pct.toFixed(1)}%`;
}

function num(n: number | null | undefined, digits: number): string {
  return n === null || n === undefined
    ? '—'
    : n.toLocaleString('en-US', { maximumFractionDigits: digits });
}

/**
 * One markdown table per case present in both runs: each target's req/s (and MiB/s when the
 * load generator reported bytes per second) and p99, before → after, with the change in
 * percent. Targets only the baseline has are listed as gone.
 */
export function formatComparison(baseline: ComparableResult, current: ComparableResult): string {
  const out: string[] = [
    `### ${current.suite}: ${current.date} against the baseline of ${baseline.date}`,
  ];
  for (const c of current.cases) {
    const base = baseline.cases.find((b) => b.name === c.name);
    out.push('', `#### ${c.name}`, '');
    if (base === undefined) {
      out.push('(not in the baseline)');
      continue;
    }
    const hasTransfer = c.summaries.some((s) => typeof s.transferBytesPerSec === 'number');
    out.push(
      `| target | req/s before | req/s after | change |${hasTransfer ? ' MiB/s before | MiB/s after | change |' : ''} p99 before | p99 after | change |`,
      `|:--|--:|--:|--:|${hasTransfer ? '--:|--:|--:|' : ''}--:|--:|--:|`,
    );
    const mib = (n: number | null | undefined) =>
      n === null || n === undefined ? null : n / (1024 * 1024);
    for (const s of c.summaries) {
      const b = base.summaries.find((x) => x.target === s.target);
      const transfer = hasTransfer
        ? ` ${num(mib(b?.transferBytesPerSec), 1)} | ${num(mib(s.transferBytesPerSec), 1)} | ${change(b?.transferBytesPerSec, s.transferBytesPerSec)} |`
        : '';
      out.push(
        `| ${s.target} | ${num(b?.requestsPerSec, 0)} | ${num(s.requestsPerSec, 0)} | ${change(b?.requestsPerSec, s.requestsPerSec)} |${transfer} ${num(b?.p99Ms, 2)} | ${num(s.p99Ms, 2)} | ${change(b?.p99Ms, s.p99Ms)} |`,
      );
    }
    for (const b of base.summaries) {
      if (!c.summaries.some((s) => s.target === b.target)) out.push(`| ${b.target} | gone | | | |`);
    }
  }
  return out.join('\n');
}
