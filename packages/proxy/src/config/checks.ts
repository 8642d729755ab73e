/** Value checks several gateway sections share: header names, paths, CIDR lists, redirects. */
import { isIP } from 'node:net';
import { isToken } from '@rws/core';
import type { KeyPath } from './config-problem.js';
import type { Reader, Table } from './reader.js';

export function checkHeaderName(r: Reader, name: string, path: KeyPath): boolean {
  if (!isToken(name)) {
    r.invalid(path, `${JSON.stringify(name)} is not a valid header name`);
    return false;
  }
  return true;
}

export function checkPathValue(r: Reader, value: string | null, path: KeyPath): string | null {
  if (value === null) return null;
  if (!value.startsWith('/') || /[\s?#]/.test(value)) {
    r.invalid(
      path,
      `must be a path starting with "/" (no spaces, "?" or "#"), got ${JSON.stringify(value)}`,
    );
    return null;
  }
  return value;
}

export function checkCidrs(r: Reader, list: readonly string[], path: KeyPath): void {
  list.forEach((entry, i) => {
    const slash = entry.indexOf('/');
    const address = slash === -1 ? entry : entry.slice(0, slash);
    const family = isIP(address);
    const prefix = slash === -1 ? null : entry.slice(slash + 1);
    const max = family === 4 ? 32 : 128;
    if (family === 0)
      r.invalid([...path, i], `${JSON.stringify(entry)} is not an IPv4/IPv6 address or CIDR`);
    else if (prefix !== null && (!/^\d{1,3}$/.test(prefix) || Number(prefix) > max)) {
      r.invalid([...path, i], `${JSON.stringify(entry)}: prefix length must be 0-${max}`);
    }
  });
}

export function readCidrList(r: Reader, t: Table, key: string, path: KeyPath): string[] {
  const list = r.strings(t, key, path) ?? [];
  checkCidrs(r, list, [...path, key]);
  return list;
}

/** The statuses a redirect (action or rewrite rule) may answer with. */
export const REDIRECT_STATUSES = [301, 302, 303, 307, 308] as const;
export type RedirectStatus = (typeof REDIRECT_STATUSES)[number];
