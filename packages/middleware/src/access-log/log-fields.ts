/**
 * `defineLogFields`: extra access-log fields whose keys are declared once, so a JSON line
 * reads only the values per request (issue #10: `Object.keys` + `Object.values` of a fresh
 * object per line were ~600 instructions of the gateway's line).
 */
import { type Request, type Response, RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** One extra field's value: a string, a number, or null. */
export type AccessLogFieldValue = string | number | null;

/** The `fields` option of `accessLog()`. */
export type AccessLogFields = (
  req: Request,
  res: Response | null,
) => Readonly<Record<string, AccessLogFieldValue>> | null | undefined;

/** This request's values, in the order of the declared keys, or null/undefined for none. */
export type AccessLogFieldValues = (
  req: Request,
  res: Response | null,
) => readonly AccessLogFieldValue[] | null | undefined;

/** The keys and values function behind a `fields` function `defineLogFields` made. */
export interface DeclaredFields {
  readonly keys: readonly string[];
  readonly values: AccessLogFieldValues;
}

const declared = new WeakMap<AccessLogFields, DeclaredFields>();

/** The declared keys and values of a `fields` function, or undefined for a plain one. */
export function declaredFields(fields: AccessLogFields): DeclaredFields | undefined {
  return declared.get(fields);
}

function fail(message: string): never {
  throw new RwsError(ERROR_CODES.ACCESS_LOG_INVALID_OPTIONS, `defineLogFields: ${message}`);
}

/**
 * Makes an `accessLog()` `fields` function from keys declared once and a function returning
 * each request's values in the same order. The lines are the same as with a function
 * returning `{ [keys[i]]: values[i] }`; JSON lines skip building and reading that object.
 * Keys must be distinct and not integer-like (an object would reorder those).
 *
 * @example
 * ```ts
 * accessLog({
 *   fields: defineLogFields(['upstream', 'attempts'], (req) => {
 *     const info = getProxyInfo(req);
 *     return info === undefined ? null : [info.upstream, info.attempts];
 *   }),
 * });
 * ```
 */
export function defineLogFields(
  keys: readonly string[],
  values: AccessLogFieldValues,
): AccessLogFields {
  if (!Array.isArray(keys) || keys.some((k) => typeof k !== 'string')) {
    fail('keys must be an array of strings');
  }
  if (typeof values !== 'function') fail('values must be a function');
  const ownKeys = [...keys];
  // An object lists integer-like keys first and each key once: the record form's order.
  const objectOrder = Object.keys(Object.fromEntries(ownKeys.map((k) => [k, 0])));
  if (objectOrder.length !== ownKeys.length || objectOrder.some((k, i) => k !== ownKeys[i])) {
    fail('keys must be distinct and not integer-like');
  }
  const fields: AccessLogFields = (req, res) => {
    const row = values(req, res);
    if (row === null || row === undefined) return row;
    const record: Record<string, AccessLogFieldValue> = {};
    for (let i = 0; i < ownKeys.length; i++) record[ownKeys[i]!] = row[i] as AccessLogFieldValue;
    return record;
  };
  declared.set(fields, { keys: ownKeys, values });
  return fields;
}
