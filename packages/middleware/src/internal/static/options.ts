import { realpathSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../../errors.js';
import { DEFAULT_CODINGS, HAS_ZSTD } from '../compress/compressor.js';
import type { Coding } from '../compress/negotiate.js';

/** Throws the option error of serveStatic. */
export function fail(message: string): never {
  throw new RwsError(ERROR_CODES.STATIC_INVALID_OPTIONS, `serveStatic: ${message}`);
}

/** The codings an option enables (`true`: all the runtime has). */
export function codingList(value: boolean | readonly Coding[] | undefined, name: string): Coding[] {
  if (value === undefined || value === true) return DEFAULT_CODINGS.slice();
  if (value === false) return [];
  if (!Array.isArray(value)) fail(`${name} must be a boolean or an array of codings`);
  const out: Coding[] = [];
  for (const c of value) {
    if (c !== 'br' && c !== 'gzip' && c !== 'zstd') fail(`${name}: unknown coding ${String(c)}`);
    if (c === 'zstd' && !HAS_ZSTD) continue;
    out.push(c);
  }
  return out;
}

/** An optional non-negative integer option. */
export function nonNegativeInteger(
  value: number | undefined,
  fallback: number,
  name: string,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < 0) fail(`${name} must be a non-negative integer`);
  return value;
}

/** The real path of the `root` option, which must name an existing directory. */
export function resolveRoot(root: unknown): string {
  if (typeof root !== 'string' || root.length === 0) fail('root must be a non-empty string');
  try {
    const real = realpathSync(resolve(root));
    if (!statSync(real).isDirectory()) throw new Error('not a directory');
    return real;
  } catch (cause) {
    throw new RwsError(
      ERROR_CODES.STATIC_ROOT_NOT_FOUND,
      `serveStatic: root ${JSON.stringify(root)} is not a directory`,
      { cause },
    );
  }
}
