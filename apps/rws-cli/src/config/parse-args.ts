/**
 * Command-line parsing, derived from `CONFIG_KEYS`. Accepts `--port 8080`, `--port=8080`,
 * `-p 8080`, `-p=8080`; boolean flags alone (`--cors-allow-all`), with `=value`, with a
 * following true/false/on/off word, or negated (`--no-cors-allow-all`); `--` ends flags.
 */
import { ERROR_CODES } from '../errors.js';
import { didYouMean } from '../internal/did-you-mean.js';
import type { ConfigKey } from './config-key.js';
import type { ConfigProblem } from './problem.js';
import { CONFIG_KEYS } from './schema.js';
import { coerce, parseBoolean } from './values.js';

/** What the command line asks for. */
export type CliCommand = 'serve' | 'check' | 'help' | 'version';

/** The parsed command line. */
export interface ParsedArgs {
  command: CliCommand;
  /** Values by `ConfigKey.path`, already converted. */
  values: Map<string, unknown>;
  problems: ConfigProblem[];
  /**
   * When the ROOT positional is the word right after a boolean flag given without a value
   * (`--directory-listing maybe`): that flag (`--directory-listing`), so the resolver can
   * report a bad boolean instead of a missing directory when ROOT does not exist.
   */
  rootAfterBoolean: string | null;
}

const COMMANDS = ['check', 'serve', 'help'];

const BY_FLAG = new Map<string, ConfigKey>();
const BY_SHORT = new Map<string, ConfigKey>();
for (const k of CONFIG_KEYS) {
  if (k.flag !== null) BY_FLAG.set(k.flag, k);
  if (k.short !== null) BY_SHORT.set(k.short, k);
}

/** Every long flag, for suggestions and help. */
const LONG_FLAGS: readonly string[] = [...BY_FLAG.keys(), 'help', 'version'];

/** Parses `argv` (without the node and script entries). */
export function parseArgs(argv: readonly string[]): ParsedArgs {
  const values = new Map<string, unknown>();
  const problems: ConfigProblem[] = [];
  let command: CliCommand | null = null;
  let wantsHelp = false;
  let wantsVersion = false;
  let isFlagsDone = false;
  const positionals: string[] = [];
  /** Positional index → the bare boolean flag it directly follows. */
  const afterBoolean = new Map<number, string>();

  const set = (k: ConfigKey, flagName: string, raw: unknown): void => {
    const r = coerce(k, raw);
    if (!r.ok) {
      problems.push({
        code: ERROR_CODES.INVALID_VALUE,
        source: 'flag',
        key: flagName,
        message: r.message,
      });
      return;
    }
    // A list flag given twice adds to the list; anything else: the last one wins.
    const prev = values.get(k.path);
    if (k.type === 'list' && Array.isArray(prev))
      values.set(k.path, [...prev, ...(r.value as string[])]);
    else if (k.type === 'credentials' && prev !== undefined) {
      // `--basic-auth` is repeatable: a later one for the same user replaces it.
      values.set(k.path, { ...(prev as Record<string, string>), ...(r.value as object) });
    } else if (k.type === 'headers' && prev !== undefined) {
      // `--header` is repeatable: a later one for the same name (any case) replaces it.
      const merged = { ...(prev as Record<string, string>) };
      for (const [name, value] of Object.entries(r.value as Record<string, string>)) {
        for (const old of Object.keys(merged)) {
          if (old.toLowerCase() === name.toLowerCase()) delete merged[old];
        }
        merged[name] = value;
      }
      values.set(k.path, merged);
    } else values.set(k.path, r.value);
  };

  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (isFlagsDone || arg === '-' || !arg.startsWith('-')) {
      positionals.push(arg);
      continue;
    }
    if (arg === '--') {
      isFlagsDone = true;
      continue;
    }
    const isLong = arg.startsWith('--');
    const body = arg.slice(isLong ? 2 : 1);
    const eq = body.indexOf('=');
    let name = eq === -1 ? body : body.slice(0, eq);
    const inline = eq === -1 ? null : body.slice(eq + 1);
    const shown = isLong ? `--${name}` : `-${name}`;

    if ((isLong && name === 'help') || (!isLong && name === 'h')) {
      wantsHelp = true;
      continue;
    }
    if ((isLong && name === 'version') || (!isLong && name === 'v')) {
      wantsVersion = true;
      continue;
    }
    let isNegated = false;
    let k = isLong ? BY_FLAG.get(name) : BY_SHORT.get(name);
    if (k === undefined && isLong && name.startsWith('no-')) {
      const positive = BY_FLAG.get(name.slice(3));
      if (positive?.type === 'boolean') {
        k = positive;
        isNegated = true;
        name = name.slice(3);
      }
    }
    if (k === undefined) {
      const suggestion = isLong
        ? didYouMean(name, LONG_FLAGS)
        : // `-port` is a common slip for `--port`.
          BY_FLAG.has(name)
          ? name
          : null;
      problems.push({
        code: ERROR_CODES.UNKNOWN_FLAG,
        source: 'flag',
        key: shown,
        message: 'unknown flag',
        hint: suggestion === null ? 'see rws --help' : `did you mean --${suggestion}?`,
      });
      // `--prot 8080`: the word after an unknown flag is most likely its value, not ROOT;
      // taking it as ROOT would add a second, misleading "directory not found" (issue #8).
      const next = argv[i + 1];
      if (inline === null && next !== undefined && !next.startsWith('-')) i++;
      continue;
    }
    if (k.type === 'boolean') {
      if (isNegated) {
        if (inline !== null) {
          problems.push({
            code: ERROR_CODES.INVALID_VALUE,
            source: 'flag',
            key: shown,
            message: 'takes no value',
          });
        } else values.set(k.path, false);
        continue;
      }
      if (inline !== null) {
        set(k, shown, inline);
        continue;
      }
      // A following true/false/on/off word is the value; anything else is the next argument.
      const next = argv[i + 1];
      if (next !== undefined && parseBoolean(next) !== null) {
        set(k, shown, next);
        i++;
      } else {
        values.set(k.path, true);
        if (next !== undefined && !next.startsWith('-') && !isFlagsDone) {
          afterBoolean.set(positionals.length, shown);
        }
      }
      continue;
    }
    let raw = inline;
    if (raw === null) {
      const next = argv[i + 1];
      if (next === undefined || (next.startsWith('-') && next.length > 1)) {
        problems.push({
          code: ERROR_CODES.MISSING_VALUE,
          source: 'flag',
          key: shown,
          message: `needs a value ${k.placeholder}`.trimEnd(),
          hint: `e.g. --${k.flag}=${example(k)}`,
        });
        continue;
      }
      raw = next;
      i++;
    }
    set(k, shown, raw);
  }

  let rootAfterBoolean: string | null = null;
  for (const [index, p] of positionals.entries()) {
    if (command === null && COMMANDS.includes(p)) {
      command = p === 'help' ? 'help' : (p as CliCommand);
      continue;
    }
    const nearCommand = didYouMean(p, COMMANDS);
    if (!values.has('root') && nearCommand === null) {
      // `rws ./public` serves ./public, like serve and sirv; `rws check ./public` checks it.
      values.set('root', p);
      rootAfterBoolean = afterBoolean.get(index) ?? null;
      continue;
    }
    const suggestion = nearCommand;
    problems.push({
      code: ERROR_CODES.UNEXPECTED_ARGUMENT,
      source: 'flag',
      key: p,
      message: 'unexpected argument',
      hint: suggestion === null ? 'see rws --help' : `did you mean ${suggestion}?`,
    });
  }
  if (wantsHelp) command = 'help';
  else if (wantsVersion) command = 'version';
  return { command: command ?? 'serve', values, problems, rootAfterBoolean };
}

function example(k: ConfigKey): string {
  switch (k.type) {
    case 'port':
      return '8080';
    case 'size':
      return '10mb';
    case 'enum':
      return k.values[0] ?? '';
    case 'workers':
      return 'auto';
    case 'list':
      return 'a,b';
    case 'integer':
      return '60';
    case 'ip':
      return '0.0.0.0';
    case 'address':
      return '9100';
    case 'endpoint':
      return '/healthz';
    case 'headers':
      return '"X-Frame-Options: DENY"';
    case 'credentials':
      return 'user:password';
    default:
      return 'FILE';
  }
}
