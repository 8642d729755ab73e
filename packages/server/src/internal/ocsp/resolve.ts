/** Validation of the `ocspStapling` serve() option. */
import type { OcspStaplingOptions } from '../../types.js';

export interface ResolvedOcsp {
  readonly timeoutMs: number;
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
}

const DEFAULTS: ResolvedOcsp = { timeoutMs: 10_000, retryMinMs: 60_000, retryMaxMs: 3_600_000 };

/** Null when stapling is off; pushes a line to `problems` for each bad field. */
export function resolveOcspStapling(
  value: boolean | OcspStaplingOptions | undefined,
  problems: string[],
): ResolvedOcsp | null {
  if (value === false) return null;
  if (value === undefined || value === true) return DEFAULTS;
  if (typeof value !== 'object' || value === null) {
    problems.push('ocspStapling: must be true, false or { timeoutMs, retryMinMs, retryMaxMs }');
    return null;
  }
  const out = { ...DEFAULTS };
  for (const key of ['timeoutMs', 'retryMinMs', 'retryMaxMs'] as const) {
    const v = value[key];
    if (v === undefined) continue;
    if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0) {
      problems.push(`ocspStapling.${key}: must be a number > 0`);
    } else out[key] = v;
  }
  return out;
}
