/**
 * The `Reader` the gateway config readers share: collects problems (key path, line,
 * did-you-mean) and reads typed values out of TOML tables.
 */
import { GATEWAY_CONFIG_CODES, type GatewayConfigErrorCode } from '../errors.js';
import { type ConfigProblem, type KeyPath, keyPathName } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import { tomlLineOf } from './toml-line.js';

/** A problem in a gateway configuration. */
export type GatewayConfigProblem = ConfigProblem<GatewayConfigErrorCode>;

export type Table = Record<string, unknown>;

export function isTable(v: unknown): v is Table {
  return typeof v === 'object' && v !== null && !Array.isArray(v) && !(v instanceof Date);
}

export function typeName(v: unknown): string {
  if (Array.isArray(v)) return 'an array';
  if (v instanceof Date) return 'a date';
  if (v === null) return 'null';
  if (isTable(v)) return 'a table';
  if (typeof v === 'number' && Number.isInteger(v)) return 'an integer';
  return `a ${typeof v}`;
}

/** Collects problems and reads typed values out of tables, reporting where they are. */
export class Reader {
  readonly problems: GatewayConfigProblem[] = [];
  readonly #text: string | null;
  readonly #file: string | undefined;

  constructor(text: string | null, file: string | undefined) {
    this.#text = text;
    this.#file = file;
  }

  add(code: GatewayConfigErrorCode, path: KeyPath, message: string, hint?: string): void {
    this.problems.push({
      code,
      source: this.#file === undefined ? 'config' : 'file',
      file: this.#file,
      key: keyPathName(path),
      line: this.#text === null ? undefined : tomlLineOf(this.#text, path),
      message,
      hint,
    });
  }

  invalid(path: KeyPath, message: string, hint?: string): void {
    this.add(GATEWAY_CONFIG_CODES.CONFIG_INVALID_VALUE, path, message, hint);
  }

  /** Reports keys of `t` outside `allowed`, with a did-you-mean. */
  keys(t: Table, path: KeyPath, allowed: readonly string[]): void {
    for (const k of Object.keys(t)) {
      if (allowed.includes(k)) continue;
      const s = didYouMean(k, allowed);
      this.add(
        GATEWAY_CONFIG_CODES.CONFIG_UNKNOWN_KEY,
        [...path, k],
        'unknown key',
        s === null ? undefined : `did you mean "${s}"?`,
      );
    }
  }

  table(v: unknown, path: KeyPath, what = 'a table'): Table | null {
    if (v === undefined) return null;
    if (!isTable(v)) {
      this.invalid(path, `must be ${what}, got ${typeName(v)}`);
      return null;
    }
    return v;
  }

  string(t: Table, key: string, path: KeyPath, required = false): string | null {
    const v = t[key];
    if (v === undefined) {
      if (required) this.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, `is missing ${key}`);
      return null;
    }
    if (typeof v !== 'string') {
      this.invalid([...path, key], `must be a string, got ${typeName(v)}`);
      return null;
    }
    if (v.trim() === '' && required) {
      this.invalid([...path, key], 'must not be empty');
      return null;
    }
    return v;
  }

  int(t: Table, key: string, path: KeyPath, min: number, max: number): number | null {
    const v = t[key];
    if (v === undefined) return null;
    if (typeof v !== 'number' || !Number.isInteger(v)) {
      this.invalid([...path, key], `must be an integer, got ${typeName(v)}`);
      return null;
    }
    if (v < min || v > max) {
      this.invalid([...path, key], `must be between ${min} and ${max}, got ${v}`);
      return null;
    }
    return v;
  }

  bool(t: Table, key: string, path: KeyPath): boolean | null {
    const v = t[key];
    if (v === undefined) return null;
    if (typeof v !== 'boolean') {
      this.invalid([...path, key], `must be true or false, got ${typeName(v)}`);
      return null;
    }
    return v;
  }

  strings(t: Table, key: string, path: KeyPath, isScalarOk = false): string[] | null {
    const v = t[key];
    if (v === undefined) return null;
    if (isScalarOk && typeof v === 'string') return [v];
    if (!Array.isArray(v) || v.some((x) => typeof x !== 'string')) {
      this.invalid([...path, key], `must be an array of strings, got ${typeName(v)}`);
      return null;
    }
    return v as string[];
  }

  /** Array of tables (`[[x]]`); a single table is an error with the right spelling. */
  tables(v: unknown, path: KeyPath, name: string): Table[] {
    if (v === undefined) return [];
    if (!Array.isArray(v)) {
      this.invalid(path, `must be an array of tables: write [[${name}]], not [${name}]`);
      return [];
    }
    const out: Table[] = [];
    v.forEach((item, i) => {
      if (isTable(item)) out.push(item);
      else this.invalid([...path, i], `must be a table, got ${typeName(item)}`);
    });
    return out;
  }
}

/** The longest duration a `*_ms` key accepts: one day. */
export const MAX_MS: number = 24 * 3600 * 1000;
