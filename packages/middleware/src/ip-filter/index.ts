/**
 * `ipFilter()`: allow and deny lists of IPv4/IPv6 addresses and CIDR ranges, like nginx's
 * `allow`/`deny`. The client address comes from `X-Forwarded-For`/`Forwarded` only when the
 * socket peer is a configured trusted proxy.
 *
 * @module
 */
import { type Handler, Headers, type Middleware, type Request, type Response } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { failOptions } from '../internal/fail.js';
import { clientAddress, type IpList, parseIpList } from '../internal/net/ip-list.js';

/** Options of `ipFilter()`. */
export interface IpFilterOptions {
  /** When non-empty, only these addresses/ranges pass (after `deny`). */
  allow?: readonly string[] | undefined;
  /** These addresses/ranges are refused, even when `allow` also matches (deny wins). */
  deny?: readonly string[] | undefined;
  /** Peers whose forwarding headers are believed. Default none. */
  trustedProxies?: readonly string[] | undefined;
  /** Status of a refusal. Default 403. */
  status?: number | undefined;
}

function list(value: readonly string[] | undefined, name: string): IpList | null {
  if (value === undefined) return null;
  if (!Array.isArray(value)) {
    failOptions(ERROR_CODES.IP_FILTER_INVALID_OPTIONS, 'ipFilter', `${name} must be an array`);
  }
  const parsed = parseIpList(value);
  if (!parsed.ok) {
    failOptions(
      ERROR_CODES.IP_FILTER_INVALID_OPTIONS,
      'ipFilter',
      `${name}: ${JSON.stringify(parsed.entry)}: ${parsed.reason}`,
    );
  }
  return parsed.list;
}

/**
 * Creates the IP filter. A request is refused (403) when its client address is in `deny`, or
 * when `allow` is non-empty and the address is not in it. Unlike rust-web-server, `deny` is
 * never ignored and IPv6 clients are matched against IPv6 ranges.
 *
 * @example
 * ```ts
 * import { ipFilter } from '@rws/middleware/ip-filter';
 * const office = ipFilter({ allow: ['10.0.0.0/8', '2001:db8::/32'], deny: ['10.0.0.13'] });
 * ```
 */
export function ipFilter(options: IpFilterOptions): Middleware {
  const allow = list(options?.allow, 'allow');
  const deny = list(options?.deny, 'deny');
  const trusted = list(options?.trustedProxies, 'trustedProxies');
  const status = options?.status ?? 403;
  if (!Number.isInteger(status) || status < 400 || status > 599) {
    failOptions(ERROR_CODES.IP_FILTER_INVALID_OPTIONS, 'ipFilter', 'status must be 400-599');
  }
  return {
    handle(req: Request, next: Handler): Response | Promise<Response> {
      const ip = clientAddress(req.conn.remoteAddress, req.headers, trusted);
      const isDenied =
        deny?.has(ip) === true || (allow !== null && allow.size > 0 && !allow.has(ip));
      if (!isDenied) return next(req);
      return {
        status,
        headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
        body: 'Forbidden\n',
      };
    },
  };
}
