/**
 * The `Host` header: parsing it strictly (RFC 9110 §7.2, RFC 3986 §3.2.2) for the redirect
 * listener's `Location`, and the DNS-rebinding guard that answers only the names a server is
 * meant to be reached by.
 */
import { isIP } from 'node:net';
import { Headers, type Middleware, normalizeHost, type Response } from '@rws/core';

/** A parsed `Host`: the host as written (IPv6 in brackets, lower case) and the port or null. */
export interface HostHeader {
  readonly name: string;
  readonly port: number | null;
}

function isDigit(c: number): boolean {
  return c >= 48 && c <= 57;
}

/**
 * A reg-name restricted to DNS characters (letters, digits, `-`, `.`, `_`, `~`), or an IPv4
 * address: what a `Location` may safely repeat. RFC 3986 also allows sub-delims and
 * percent-encoding in a reg-name; no DNS name needs them, so they are refused.
 */
function isRegName(name: string): boolean {
  if (name.length === 0 || name.length > 253) return false;
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    const isAlpha = (c | 0x20) >= 97 && (c | 0x20) <= 122;
    if (!isAlpha && !isDigit(c) && c !== 45 && c !== 46 && c !== 95 && c !== 126) return false;
  }
  return true;
}

/**
 * Parses a `Host` value: `name`, `name:port`, `1.2.3.4:port`, `[v6]:port`. Returns null for
 * anything else (a bad IPv6 literal, a port over 65535, characters a DNS name cannot have).
 */
export function parseHost(value: string): HostHeader | null {
  let name: string;
  let rest: string;
  if (value.charCodeAt(0) === 91) {
    // '[': IP-literal; only IPv6 (IPvFuture is not a host anyone can be reached by).
    const end = value.indexOf(']');
    if (end === -1 || isIP(value.slice(1, end)) !== 6) return null;
    name = value.slice(0, end + 1);
    rest = value.slice(end + 1);
  } else {
    const colon = value.indexOf(':');
    name = colon === -1 ? value : value.slice(0, colon);
    rest = colon === -1 ? '' : value.slice(colon);
    if (!isRegName(name)) return null;
  }
  let port: number | null = null;
  if (rest.length > 0) {
    if (rest.charCodeAt(0) !== 58 || rest.length > 6) return null; // ':' and at most 5 digits
    for (let i = 1; i < rest.length; i++) if (!isDigit(rest.charCodeAt(i))) return null;
    // RFC 3986 §3.2.3: an empty port is the same as none.
    if (rest.length > 1) {
      port = Number(rest.slice(1));
      if (port > 65535) return null;
    }
  }
  // Core's one host rule: lower case, one trailing dot dropped.
  return { name: normalizeHost(name), port };
}

/** True for an address (or `localhost`) only this machine can reach. */
export function isLoopbackAddress(address: string): boolean {
  const a = address.startsWith('[') && address.endsWith(']') ? address.slice(1, -1) : address;
  if (a === 'localhost' || a === '::1' || a === '0:0:0:0:0:0:0:1') return true;
  if (isIP(a) === 4) return a.startsWith('127.');
  // IPv4-mapped IPv6 (::ffff:127.0.0.1).
  if (a.toLowerCase().startsWith('::ffff:')) return isLoopbackAddress(a.slice(7));
  return false;
}

/** A host name that names this machine: localhost, *.localhost (RFC 6761 §6.3), 127/8, ::1. */
function isLoopbackName(name: string): boolean {
  return name === 'localhost' || name.endsWith('.localhost') || isLoopbackAddress(name);
}

function matches(allowed: readonly string[], name: string): boolean {
  for (const entry of allowed) {
    if (entry === name) return true;
    // '*.example.com' matches any subdomain, not example.com itself.
    if (entry.startsWith('*.') && name.endsWith(entry.slice(1))) return true;
  }
  return false;
}

function misdirected(): Response {
  return {
    status: 421,
    headers: new Headers([
      ['content-type', 'text/plain; charset=utf-8'],
      ['cache-control', 'no-store'],
    ]),
    body: 'misdirected request: this server does not answer for that Host\n',
  };
}

/**
 * The DNS-rebinding guard: a page on `evil.example` whose name resolves to 127.0.0.1 makes the
 * browser send `Host: evil.example` to a local server, which must not answer it (421, RFC 9110
 * §15.5.20). Returns null when every Host is allowed (not loopback-bound and no names, or
 * `allowedHosts: 'any'`). A request without Host (HTTP/1.0) is let through: browsers always
 * send one.
 */
export function hostCheckMiddleware(
  allowed: readonly string[] | null,
  boundHost: string,
  port: () => number,
): Middleware | null {
  if (allowed === null) return null;
  const isLoopback = isLoopbackAddress(boundHost);
  if (!isLoopback && allowed.length === 0) return null;
  // The common values, exactly as clients send them, answered without parsing (hot path).
  let fast: Set<string> | null = null;
  let fastPort = -1;
  return {
    handle(req, next) {
      const value = req.headers.get('host');
      if (value === null || value.length === 0) return next(req);
      const p = port();
      if (fast === null || fastPort !== p) {
        fastPort = p;
        fast = new Set(allowed.filter((n) => !n.startsWith('*.')));
        if (isLoopback) {
          for (const n of ['localhost', '127.0.0.1', '[::1]']) fast.add(n).add(`${n}:${p}`);
        }
      }
      if (fast.has(value)) return next(req);
      const host = parseHost(value);
      if (host !== null) {
        if (matches(allowed, host.name)) return next(req);
        if (
          isLoopback &&
          isLoopbackName(host.name) &&
          (host.port === null || host.port === port())
        ) {
          return next(req);
        }
      }
      return misdirected();
    },
  };
}
