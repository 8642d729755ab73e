import type { Protocol } from '@rws/core';

/** Everything an access-log line can show about one finished request. */
export interface LogEntry {
  /** When the request was received, in milliseconds since the epoch. */
  readonly startMs: number;
  readonly remoteAddress: string;
  readonly method: string;
  /** The request-target as received: path and query. */
  readonly target: string;
  /** `HTTP/1.0`, `HTTP/1.1`, `HTTP/2.0` or `HTTP/3.0`, as nginx and Apache write it. */
  readonly protocol: string;
  readonly status: number;
  /** Body bytes sent (headers excluded). */
  readonly bytes: number;
  readonly durationMs: number;
  readonly userAgent: string | null;
  readonly referer: string | null;
  readonly requestId: string | null;
  /** Extra fields from the `fields` option (e.g. the proxy's upstream and error cause), or null. */
  readonly fields: Readonly<Record<string, string | number | null>> | null;
}

/** `key="value"` pairs for the text formats (`-` for null), each part escaped. */
function textFields(fields: LogEntry['fields'], skipNull: boolean): string {
  if (fields === null) return '';
  let out = '';
  for (const key of Object.keys(fields)) {
    const value = fields[key];
    if (value === null || value === undefined) {
      if (!skipNull) out += ` ${escapeLogItem(key)}="-"`;
      continue;
    }
    out += ` ${escapeLogItem(key)}="${escapeLogItem(String(value))}"`;
  }
  return out;
}

/** The protocol as written in a request line (`%r`) and nginx's `$server_protocol`. */
export function protocolName(protocol: Protocol): string {
  switch (protocol) {
    case 'http/1.1':
      return 'HTTP/1.1';
    case 'http/1.0':
      return 'HTTP/1.0';
    case 'h2':
      return 'HTTP/2.0';
    case 'h3':
      return 'HTTP/3.0';
    default:
      return String(protocol).toUpperCase();
  }
}

const HEX = '0123456789abcdef';

/**
 * Escapes a value for a Combined Log Format field the way Apache's `ap_escape_logitem` does:
 * `"` and `\` get a backslash, `\b \n \r \t \v` their C escapes, and other control or
 * non-ASCII bytes (UTF-8) `\xhh`. A client can then never forge a field or a second line.
 */
export function escapeLogItem(value: string): string {
  let i = 0;
  // Fast path: most values need nothing.
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || c >= 0x7f || c === 0x22 || c === 0x5c) break;
  }
  if (i === value.length) return value;
  let out = value.slice(0, i);
  for (; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c >= 0x20 && c < 0x7f) {
      out += c === 0x22 ? '\\"' : c === 0x5c ? '\\\\' : value[i];
      continue;
    }
    switch (c) {
      case 0x08:
        out += '\\b';
        continue;
      case 0x0a:
        out += '\\n';
        continue;
      case 0x0d:
        out += '\\r';
        continue;
      case 0x09:
        out += '\\t';
        continue;
      case 0x0b:
        out += '\\v';
        continue;
    }
    if (c < 0x80) {
      out += `\\x${HEX[c >> 4]}${HEX[c & 15]}`;
      continue;
    }
    // Header values usually arrive as latin1 (one byte per char); anything wider is UTF-8.
    const cp = value.codePointAt(i)!;
    if (cp > 0xffff) i++;
    const bytes = cp <= 0xff ? [cp] : Array.from(Buffer.from(String.fromCodePoint(cp)));
    for (const b of bytes) out += `\\x${HEX[b >> 4]}${HEX[b & 15]}`;
  }
  return out;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function pad2(n: number): string {
  return n < 10 ? `0${n}` : String(n);
}

/** `%d/%b/%Y:%H:%M:%S %z`, e.g. `10/Oct/2000:13:55:36 -0700`, in local time or UTC. */
export function clfDate(ms: number, isUtc: boolean): string {
  // One Date and a dozen small strings per second, not per line.
  // (and per time zone: a process may change TZ).
  const sec = Math.floor(ms / 1000);
  const cache = isUtc ? clfUtc : clfLocal;
  const zone = isUtc ? '' : (process.env['TZ'] ?? '');
  if (cache.sec !== sec || cache.zone !== zone) {
    cache.sec = sec;
    cache.zone = zone;
    cache.text = buildClfDate(sec * 1000, isUtc);
  }
  return cache.text;
}

const clfUtc = { sec: Number.NaN, zone: '', text: '' };
const clfLocal = { sec: Number.NaN, zone: '', text: '' };

function buildClfDate(ms: number, isUtc: boolean): string {
  const d = new Date(ms);
  if (isUtc) {
    return (
      `${pad2(d.getUTCDate())}/${MONTHS[d.getUTCMonth()]}/${d.getUTCFullYear()}:` +
      `${pad2(d.getUTCHours())}:${pad2(d.getUTCMinutes())}:${pad2(d.getUTCSeconds())} +0000`
    );
  }
  const offset = -d.getTimezoneOffset();
  const abs = Math.abs(offset);
  const zone = `${offset < 0 ? '-' : '+'}${pad2(Math.floor(abs / 60))}${pad2(abs % 60)}`;
  return (
    `${pad2(d.getDate())}/${MONTHS[d.getMonth()]}/${d.getFullYear()}:` +
    `${pad2(d.getHours())}:${pad2(d.getMinutes())}:${pad2(d.getSeconds())} ${zone}`
  );
}

/**
 * Combined Log Format, as Apache's `combined` and nginx's default `combined`:
 * `%h - - [%t] "%r" %>s %b "%{Referer}i" "%{User-agent}i"`, with `-` for zero bytes and for
 * missing headers; extra fields follow as ` key="value"` (`"-"` for null), which log parsers
 * for the combined format ignore past the user agent.
 */
export function formatCombined(e: LogEntry, isUtc: boolean): string {
  const requestLine = escapeLogItem(`${e.method} ${e.target} ${e.protocol}`);
  const referer = e.referer === null ? '-' : escapeLogItem(e.referer);
  const agent = e.userAgent === null ? '-' : escapeLogItem(e.userAgent);
  return (
    `${e.remoteAddress} - - [${clfDate(e.startMs, isUtc)}] "${requestLine}" ${e.status} ` +
    `${e.bytes === 0 ? '-' : e.bytes} "${referer}" "${agent}"${textFields(e.fields, false)}`
  );
}

/** `1.2 ms` below a second, `1.25 s` above. */
export function formatDuration(ms: number): string {
  return ms < 1000 ? `${ms.toFixed(1)} ms` : `${(ms / 1000).toFixed(2)} s`;
}

/** `512 B`, `1.5 KiB`, `2.0 MiB`, `1.1 GiB`. */
export function formatBytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KiB`;
  if (n < 1024 * 1024 * 1024) return `${(n / (1024 * 1024)).toFixed(1)} MiB`;
  return `${(n / (1024 * 1024 * 1024)).toFixed(1)} GiB`;
}

/** SGR colour of a status class: 2xx green, 3xx cyan, 4xx yellow, 5xx red, else none. */
function statusColor(status: number): string | null {
  if (status >= 500) return '31';
  if (status >= 400) return '33';
  if (status >= 300) return '36';
  if (status >= 200) return '32';
  return null;
}

/**
 * `GET /path 200 1.2 ms 512 B`, the status coloured when `isColor`; extra fields follow as
 * ` key="value"`, null ones left out.
 */
export function formatPretty(e: LogEntry, isColor: boolean): string {
  const color = isColor ? statusColor(e.status) : null;
  const status = color === null ? String(e.status) : `\x1b[${color}m${e.status}\x1b[39m`;
  // Escape control characters so a request-target cannot drive the terminal.
  return `${escapeLogItem(e.method)} ${escapeLogItem(e.target)} ${status} ${formatDuration(e.durationMs)} ${formatBytes(e.bytes)}${textFields(e.fields, true)}`;
}
