import { ERROR_CODES, MailerError } from './errors.js';

const PRINTABLE_ASCII = /^[\x20-\x7e]*$/;
/** Bytes of UTF-8 per encoded word: 75 - '=?UTF-8?B??='.length = 63 base64 chars = 45 bytes. */
const WORD_BYTES = 45;
const LINE = 78;
const WORD_OVERHEAD = 12;

/**
 * Throws `RWS_MAILER_INVALID_HEADER` when a header value holds CR, LF or NUL: with them a value
 * could start a new header (header injection). Every header the mailer writes passes here.
 */
export function assertHeaderValue(name: string, value: string): void {
  if (/[\r\n\0]/.test(value))
    throw new MailerError(
      ERROR_CODES.INVALID_HEADER,
      `header ${JSON.stringify(name)} holds CR, LF or NUL (header injection refused)`,
    );
}

/** Throws unless `name` is an RFC 5322 field name (printable ASCII except ":"). */
export function assertHeaderName(name: string): void {
  if (!/^[!-9;-~]+$/.test(name))
    throw new MailerError(
      ERROR_CODES.INVALID_HEADER,
      `invalid header name ${JSON.stringify(name)}`,
    );
}

/**
 * Encodes `text` as RFC 2047 "B" encoded words when it is not printable ASCII, never splitting
 * a UTF-8 sequence across words; words are joined by folding white space (CRLF SP).
 * @see RFC 2047 §2, §5
 */
export function encodeWords(text: string, usedOnFirstLine = 0): string {
  if (PRINTABLE_ASCII.test(text)) return text;
  const words: string[] = [];
  let chunk = '';
  let chunkBytes = 0;
  // The first word shares its line with the field name; keep that line within 78 characters.
  let budget = Math.max(
    3,
    Math.min(WORD_BYTES, Math.floor((LINE - usedOnFirstLine - WORD_OVERHEAD) / 4) * 3),
  );
  for (const ch of text) {
    const n = Buffer.byteLength(ch);
    if (chunkBytes + n > budget && chunk !== '') {
      budget = WORD_BYTES;
      words.push(chunk);
      chunk = '';
      chunkBytes = 0;
    }
    chunk += ch;
    chunkBytes += n;
  }
  if (chunk !== '') words.push(chunk);
  return words.map((w) => `=?UTF-8?B?${Buffer.from(w).toString('base64')}?=`).join('\r\n ');
}

/** A display name as a phrase: as is when atoms, quoted when it has specials, encoded when not ASCII. */
export function encodeDisplayName(name: string, usedOnFirstLine = 0): string {
  if (!PRINTABLE_ASCII.test(name)) return encodeWords(name, usedOnFirstLine);
  if (/^[A-Za-z0-9!#$%&'*+\-/=?^_`{|}~ ]*$/.test(name)) return name;
  return `"${name.replace(/[\\"]/g, '\\$&')}"`;
}

/** An RFC 2231 parameter (`filename*=UTF-8''…`) when the value is not plain ASCII, else quoted. */
export function encodeParameter(key: string, value: string): string {
  if (PRINTABLE_ASCII.test(value)) return `${key}="${value.replace(/[\\"]/g, '\\$&')}"`;
  return `${key}*=UTF-8''${encodeURIComponent(value).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`)}`;
}
