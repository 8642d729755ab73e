/**
 * Validation of a decoded request header list (RFC 9113 §8.2, §8.3) and its mapping to the
 * core request fields. A malformed request is a stream error of type PROTOCOL_ERROR (§8.1.1).
 * HTTP/3 has the same rules (RFC 9114 §4.2, §4.3), so @rws/h3 uses these too.
 */

/** Octets allowed in a field name: lower-case tchar (RFC 9110 §5.6.2, RFC 9113 §8.2.1). */
const NAME_CHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyz")
  NAME_CHAR[c.charCodeAt(0)] = 1;

/** Connection-specific fields, forbidden in HTTP/2 (RFC 9113 §8.2.2). */
const CONNECTION_SPECIFIC = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
]);

/** What a valid request head yields. */
export interface RequestHead {
  method: string;
  /** `:path`, or the authority for CONNECT. */
  target: string;
  scheme: string | null;
  authority: string | null;
  /** `:protocol` of an extended CONNECT (RFC 8441), else null. */
  protocol: string | null;
  /** Regular fields, flat, cookie crumbs joined, `host` added from `:authority`. */
  fields: string[];
  /** The content-length value, -1 when absent. */
  contentLength: number;
}

/** Returns the request head, or a string saying what is malformed. */
export function parseRequestFields(
  list: readonly string[],
  isConnectProtocolEnabled: boolean,
): RequestHead | string {
  let method: string | null = null;
  let path: string | null = null;
  let scheme: string | null = null;
  let authority: string | null = null;
  let protocol: string | null = null;
  let cookie: string | null = null;
  let host: string | null = null;
  let contentLength = -1;
  const fields: string[] = [];
  let isRegularSeen = false;
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    const value = list[i + 1]!;
    const bad = fieldProblem(name, value);
    if (bad !== null) return bad;
    if (name.charCodeAt(0) === 58 /* : */) {
      if (isRegularSeen) return `pseudo-header ${name} after a regular field`;
      switch (name) {
        case ':method':
          if (method !== null) return 'duplicate :method';
          method = value;
          break;
        case ':path':
          if (path !== null) return 'duplicate :path';
          path = value;
          break;
        case ':scheme':
          if (scheme !== null) return 'duplicate :scheme';
          scheme = value;
          break;
        case ':authority':
          if (authority !== null) return 'duplicate :authority';
          authority = value;
          break;
        case ':protocol':
          if (!isConnectProtocolEnabled) return 'unknown pseudo-header :protocol';
          if (protocol !== null) return 'duplicate :protocol';
          protocol = value;
          break;
        default:
          return `unknown pseudo-header ${name}`;
      }
      continue;
    }
    isRegularSeen = true;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
    if (name === 'te' && value !== 'trailers') return 'te other than "trailers"';
    if (name === 'cookie') {
      // RFC 9113 §8.2.3: crumbs arrive as separate fields; join them for HTTP/1.1 semantics.
      cookie = cookie === null ? value : `${cookie}; ${value}`;
      continue;
    }
    if (name === 'host') host = value;
    if (name === 'content-length') {
      const n = parseLength(value);
      if (n < 0 || (contentLength !== -1 && n !== contentLength)) return 'invalid content-length';
      contentLength = n;
    }
    fields.push(name, value);
  }
  if (method === null) return 'missing :method';
  if (method === 'CONNECT' && protocol === null) {
    // RFC 9113 §8.5: only :method and :authority.
    if (scheme !== null || path !== null) return 'CONNECT with :scheme or :path';
    if (authority === null) return 'CONNECT without :authority';
    path = authority;
  } else {
    if (protocol !== null && method !== 'CONNECT')
      return ':protocol on a method other than CONNECT';
    if (scheme === null || path === null) return 'missing :scheme or :path';
    if (path.length === 0) return 'empty :path';
    if (path.charCodeAt(0) !== 47 /* / */ && !(path === '*' && method === 'OPTIONS')) {
      return ':path is not origin-form';
    }
  }
  if (cookie !== null) fields.push('cookie', cookie);
  // RFC 9113 §8.3.1: `:authority` stands for Host; handlers and middleware read `host`.
  if (host === null && authority !== null) fields.push('host', authority);
  return {
    method,
    target: path,
    scheme,
    authority: authority ?? host,
    protocol,
    fields,
    contentLength,
  };
}

/** Checks one field per RFC 9113 §8.2.1; null when valid. */
function fieldProblem(name: string, value: string): string | null {
  const start = name.charCodeAt(0) === 58 ? 1 : 0;
  if (name.length === start) return 'empty field name';
  for (let i = start; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if (c >= 128 || NAME_CHAR[c] === 0) {
      return c >= 65 && c <= 90 ? 'upper-case field name' : 'invalid field name';
    }
  }
  const n = value.length;
  for (let i = 0; i < n; i++) {
    const c = value.charCodeAt(i);
    if (c === 0 || c === 10 || c === 13) return `invalid octet in field ${name}`;
  }
  if (n > 0) {
    const first = value.charCodeAt(0);
    const last = value.charCodeAt(n - 1);
    if (first === 32 || first === 9 || last === 32 || last === 9) {
      return `whitespace around the value of ${name}`;
    }
  }
  return null;
}

function parseLength(value: string): number {
  if (value.length === 0 || value.length > 15) return -1;
  let n = 0;
  for (let i = 0; i < value.length; i++) {
    const d = value.charCodeAt(i) - 48;
    if (d < 0 || d > 9) return -1;
    n = n * 10 + d;
  }
  return n;
}

/** Checks a trailer section: no pseudo-headers (RFC 9113 §8.1); null when valid. */
export function trailerProblem(list: readonly string[]): string | null {
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (name.charCodeAt(0) === 58) return `pseudo-header ${name} in trailers`;
    const bad = fieldProblem(name, list[i + 1]!);
    if (bad !== null) return bad;
    if (CONNECTION_SPECIFIC.has(name)) return `connection-specific field ${name}`;
  }
  return null;
}

/** True for fields a response must not carry over HTTP/2 (RFC 9113 §8.2.2). */
export function isConnectionSpecific(name: string): boolean {
  return CONNECTION_SPECIFIC.has(name);
}
