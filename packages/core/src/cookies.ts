import { isToken } from './is-token.js';
import { RwsError } from './rws-error.js';

/**
 * Parses a `Cookie` request header into name → value (RFC 6265 §5.4, leniently as browsers and
 * servers do): pairs split at `;`, surrounding whitespace and one pair of double quotes
 * stripped, percent-encoding decoded when valid (kept as sent otherwise), and the first of
 * repeated names wins (the most specific path comes first, §5.4 step 2). Pairs without `=` or
 * with an empty name are skipped. The result has no prototype, so `__proto__` is just a name.
 *
 * @example
 * ```ts
 * import { parseCookies } from '@rws/core';
 * parseCookies('sid=abc; theme="dark"'); // { sid: 'abc', theme: 'dark' }
 * ```
 */
export function parseCookies(header: string | null | undefined): Record<string, string> {
  const out: Record<string, string> = Object.create(null);
  if (!header) return out;
  const length = header.length;
  let pos = 0;
  while (pos < length) {
    let end = header.indexOf(';', pos);
    if (end === -1) end = length;
    // Scan for '=' only inside this pair: indexOf over the rest of the header would make a
    // header of many '='-less pairs quadratic.
    let eq = pos;
    while (eq < end && header.charCodeAt(eq) !== 61 /* = */) eq++;
    if (eq < end) {
      const name = trimOws(header, pos, eq);
      if (name.length > 0 && out[name] === undefined) {
        let value = trimOws(header, eq + 1, end);
        if (
          value.length >= 2 &&
          value.charCodeAt(0) === 34 &&
          value.charCodeAt(value.length - 1) === 34
        ) {
          value = value.slice(1, -1);
        }
        out[name] = value.includes('%') ? safeDecode(value) : value;
      }
    }
    pos = end + 1;
  }
  return out;
}

/** `s.slice(start, end)` without leading/trailing spaces and tabs. */
function trimOws(s: string, start: number, end: number): string {
  while (start < end && (s.charCodeAt(start) === 32 || s.charCodeAt(start) === 9)) start++;
  while (end > start && (s.charCodeAt(end - 1) === 32 || s.charCodeAt(end - 1) === 9)) end--;
  return s.slice(start, end);
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Attributes of a `Set-Cookie` (RFC 6265 §4.1, RFC 6265bis, CHIPS). */
export interface CookieOptions {
  /** Hosts the cookie is sent to; omit for the exact host only. */
  domain?: string | undefined;
  /** Path prefix the cookie is sent for. */
  path?: string | undefined;
  /** Absolute expiry. */
  expires?: Date | undefined;
  /** Lifetime in seconds (integer); 0 or less deletes the cookie. Wins over `expires`. */
  maxAge?: number | undefined;
  /** Send only over HTTPS. Required by `SameSite=None`, `Partitioned` and the name prefixes. */
  secure?: boolean | undefined;
  /** Hide from `document.cookie`. */
  httpOnly?: boolean | undefined;
  sameSite?: 'Strict' | 'Lax' | 'None' | 'strict' | 'lax' | 'none' | undefined;
  /** CHIPS partitioned cookie; requires `secure`. */
  partitioned?: boolean | undefined;
  /** Chrome's eviction priority. */
  priority?: 'Low' | 'Medium' | 'High' | 'low' | 'medium' | 'high' | undefined;
  /**
   * Encodes the value first: `true` for `encodeURIComponent`, or a function. Without it the
   * value must already consist of cookie-octets.
   */
  encode?: boolean | ((value: string) => string) | undefined;
}

/** One cookie to set: name, value and attributes. */
export interface SetCookie extends CookieOptions {
  name: string;
  value: string;
}

function invalid(what: string, detail: string): RwsError {
  return new RwsError('RWS_CORE_COOKIE_INVALID', `cookie ${what} is invalid: ${detail}`, {
    status: 500,
  });
}

/** RFC 6265 §4.1.1 cookie-octet: `%x21 / %x23-2B / %x2D-3A / %x3C-5B / %x5D-7E`. */
function isCookieOctet(c: number): boolean {
  return (
    c === 0x21 ||
    (c >= 0x23 && c <= 0x2b) ||
    (c >= 0x2d && c <= 0x3a) ||
    (c >= 0x3c && c <= 0x5b) ||
    (c >= 0x5d && c <= 0x7e)
  );
}

/** cookie-value = *cookie-octet / ( DQUOTE *cookie-octet DQUOTE ). */
function isCookieValue(value: string): boolean {
  let start = 0;
  let end = value.length;
  if (end >= 2 && value.charCodeAt(0) === 34 && value.charCodeAt(end - 1) === 34) {
    start = 1;
    end--;
  }
  for (let i = start; i < end; i++) if (!isCookieOctet(value.charCodeAt(i))) return false;
  return true;
}

/**
 * Domain-value (RFC 6265 §4.1.2.3 with RFC 1034 §3.5 labels): letters, digits and hyphens in
 * dot-separated labels of 1–63 characters; one leading dot is allowed (and ignored by clients).
 */
function isDomain(domain: string): boolean {
  const start = domain.charCodeAt(0) === 46 ? 1 : 0;
  if (domain.length - start === 0 || domain.length > 253) return false;
  let labelLength = 0;
  for (let i = start; i < domain.length; i++) {
    const c = domain.charCodeAt(i);
    if (c === 46) {
      if (labelLength === 0) return false;
      labelLength = 0;
      continue;
    }
    const isAlnum = (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122);
    if (!isAlnum && c !== 45) return false;
    if (++labelLength > 63) return false;
  }
  return labelLength > 0;
}

/** path-value = any CHAR except CTLs or `;` (RFC 6265 §4.1.1), at most 1024 bytes (6265bis). */
function isPath(path: string): boolean {
  if (path.length === 0 || path.length > 1024) return false;
  for (let i = 0; i < path.length; i++) {
    const c = path.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x3b) return false;
  }
  return true;
}

const SAME_SITE: Readonly<Record<string, string>> = { strict: 'Strict', lax: 'Lax', none: 'None' };
const PRIORITY: Readonly<Record<string, string>> = { low: 'Low', medium: 'Medium', high: 'High' };

/**
 * Serialises a `Set-Cookie` header value, rejecting anything a browser would misread with
 * `RWS_CORE_COOKIE_INVALID` naming the attribute: a name that is not a token, a value with
 * non-cookie-octets (unless `encode`), a bad Domain or Path, an invalid date or Max-Age,
 * `SameSite=None` or `Partitioned` without `Secure`, and the `__Secure-`/`__Host-` prefix rules
 * (RFC 6265bis §4.1.3).
 *
 * @example
 * ```ts
 * import { serializeCookie } from '@rws/core';
 * serializeCookie('sid', 'abc', { httpOnly: true, secure: true, sameSite: 'Lax', path: '/' });
 * // 'sid=abc; Path=/; Secure; HttpOnly; SameSite=Lax'
 * ```
 */
export function serializeCookie(name: string, value: string, options: CookieOptions = {}): string {
  if (!isToken(name)) throw invalid('name', 'it must be an RFC 9110 token');
  const encode = options.encode;
  const encoded =
    encode === true
      ? encodeURIComponent(value)
      : typeof encode === 'function'
        ? encode(value)
        : value;
  if (typeof encoded !== 'string' || !isCookieValue(encoded)) {
    throw invalid(
      `value of ${name}`,
      'it contains characters outside RFC 6265 cookie-octet (use the encode option)',
    );
  }
  let out = name + '=' + encoded;
  if (options.domain !== undefined) {
    if (!isDomain(options.domain)) throw invalid('Domain', 'it is not a host name');
    out += '; Domain=' + options.domain;
  }
  if (options.path !== undefined) {
    if (!isPath(options.path))
      throw invalid('Path', 'it is empty, too long, or has a control character or ";"');
    out += '; Path=' + options.path;
  }
  if (options.expires !== undefined) {
    const expires = options.expires;
    if (!(expires instanceof Date) || Number.isNaN(expires.getTime())) {
      throw invalid('Expires', 'it is not a valid Date');
    }
    out += '; Expires=' + expires.toUTCString();
  }
  if (options.maxAge !== undefined) {
    if (!Number.isFinite(options.maxAge)) throw invalid('Max-Age', 'it is not a finite number');
    out += '; Max-Age=' + Math.floor(options.maxAge);
  }
  const secure = options.secure === true;
  if (secure) out += '; Secure';
  if (options.httpOnly === true) out += '; HttpOnly';
  if (options.sameSite !== undefined) {
    const sameSite = SAME_SITE[String(options.sameSite).toLowerCase()];
    if (sameSite === undefined) throw invalid('SameSite', 'it must be Strict, Lax or None');
    if (sameSite === 'None' && !secure) throw invalid('SameSite', 'SameSite=None requires Secure');
    out += '; SameSite=' + sameSite;
  }
  if (options.partitioned === true) {
    if (!secure) throw invalid('Partitioned', 'Partitioned requires Secure');
    out += '; Partitioned';
  }
  if (options.priority !== undefined) {
    const priority = PRIORITY[String(options.priority).toLowerCase()];
    if (priority === undefined) throw invalid('Priority', 'it must be Low, Medium or High');
    out += '; Priority=' + priority;
  }
  // RFC 6265bis §4.1.3: browsers drop prefixed cookies that break these rules, so fail loudly.
  if (name.startsWith('__Secure-') && !secure)
    throw invalid('name', '__Secure- cookies require Secure');
  if (name.startsWith('__Host-')) {
    if (!secure || options.domain !== undefined || options.path !== '/') {
      throw invalid('name', '__Host- cookies require Secure, Path=/ and no Domain');
    }
  }
  return out;
}

/**
 * Parses a `Set-Cookie` header value as a user agent does (RFC 6265 §5.2): the name-value pair
 * up to the first `;`, then attributes matched case-insensitively. Unknown attributes and
 * attributes with an unusable value are ignored, as the RFC says; the value is returned as
 * sent (not decoded). Null when there is no `=` or the name is empty. For proxies that rewrite
 * cookies and for tests.
 */
export function parseSetCookie(header: string): SetCookie | null {
  let end = header.indexOf(';');
  if (end === -1) end = header.length;
  const eq = header.indexOf('=');
  if (eq === -1 || eq > end) return null;
  const name = trimOws(header, 0, eq);
  if (name.length === 0) return null;
  const cookie: SetCookie = { name, value: trimOws(header, eq + 1, end) };
  let pos = end + 1;
  while (pos < header.length) {
    let next = header.indexOf(';', pos);
    if (next === -1) next = header.length;
    let sep = pos;
    while (sep < next && header.charCodeAt(sep) !== 61 /* = */) sep++;
    const key = trimOws(header, pos, sep).toLowerCase();
    const value = sep < next ? trimOws(header, sep + 1, next) : '';
    pos = next + 1;
    switch (key) {
      case 'expires': {
        const time = Date.parse(value);
        if (!Number.isNaN(time)) cookie.expires = new Date(time);
        break;
      }
      case 'max-age': {
        // §5.2.2: an optional '-' then digits; anything else is ignored.
        const start = value.charCodeAt(0) === 45 ? 1 : 0;
        let isNumber = value.length > start;
        for (let i = start; i < value.length && isNumber; i++) {
          const c = value.charCodeAt(i);
          isNumber = c >= 48 && c <= 57;
        }
        if (isNumber) cookie.maxAge = Number(value);
        break;
      }
      case 'domain': {
        // §5.2.3: a leading dot is ignored; an empty value is ignored.
        const domain = value.charCodeAt(0) === 46 ? value.slice(1) : value;
        if (domain.length > 0) cookie.domain = domain.toLowerCase();
        break;
      }
      case 'path':
        // §5.2.4: a value not starting with '/' means the default path.
        if (value.charCodeAt(0) === 47) cookie.path = value;
        break;
      case 'secure':
        cookie.secure = true;
        break;
      case 'httponly':
        cookie.httpOnly = true;
        break;
      case 'partitioned':
        cookie.partitioned = true;
        break;
      case 'samesite': {
        const sameSite = SAME_SITE[value.toLowerCase()];
        if (sameSite !== undefined) cookie.sameSite = sameSite as 'Strict' | 'Lax' | 'None';
        break;
      }
      case 'priority': {
        const priority = PRIORITY[value.toLowerCase()];
        if (priority !== undefined) cookie.priority = priority as 'Low' | 'Medium' | 'High';
        break;
      }
      default:
        break;
    }
  }
  return cookie;
}
