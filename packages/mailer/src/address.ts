import { domainToASCII } from 'node:url';
import { ERROR_CODES, MailerError } from './errors.js';

/** A parsed mailbox: an optional display name and an addr-spec. */
export interface Address {
  /** The display name, decoded (no quotes, no escapes); `''` when absent. */
  readonly name: string;
  /** `local@domain` exactly as given (domain in its Unicode or ASCII form). */
  readonly address: string;
}

/** What a message field accepts: `'Ada <ada@example.com>'`, an `Address`, or a list of them. */
export type AddressInput = string | { name?: string | undefined; address: string };

const MAX_LOCAL = 64;
const MAX_DOMAIN = 253;
const MAX_ADDRESS = 254;
/** A whole list above this is refused before any scanning: nobody mails 64 KiB of recipients in one header. */
const MAX_LIST_CHARS = 65_536;

/** RFC 5322 §3.2.3 atext, plus any non-ASCII code point (RFC 6532 UTF8-non-ascii). */
function isAtext(c: number): boolean {
  return (
    (c >= 0x61 && c <= 0x7a) ||
    (c >= 0x41 && c <= 0x5a) ||
    (c >= 0x30 && c <= 0x39) ||
    c >= 0x80 ||
    // ! # $ % & ' * + - / = ? ^ _ ` { | } ~
    c === 0x21 ||
    (c >= 0x23 && c <= 0x27) ||
    c === 0x2a ||
    c === 0x2b ||
    c === 0x2d ||
    c === 0x2f ||
    c === 0x3d ||
    c === 0x3f ||
    (c >= 0x5e && c <= 0x60) ||
    (c >= 0x7b && c <= 0x7e)
  );
}

function invalid(what: string, input: string): MailerError {
  // The value is user input: show it JSON-quoted and cut, so control characters stay visible.
  const shown = JSON.stringify(input.length > 80 ? `${input.slice(0, 80)}…` : input);
  return new MailerError(ERROR_CODES.INVALID_ADDRESS, `invalid address ${shown}: ${what}`);
}

function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}

/**
 * Checks an addr-spec: a dot-atom local part and a domain of LDH (or Unicode) labels.
 * Quoted local parts (`"a@b"@c`), comments and domain literals are refused: they are where
 * parsers disagree about who the recipient is (nodemailer's 2025 misdelivery advisory).
 * @see RFC 5321 §4.1.2, RFC 5322 §3.4.1
 */
function assertAddrSpec(spec: string): void {
  const at = spec.lastIndexOf('@');
  if (at <= 0 || at === spec.length - 1) throw invalid('expected local@domain', spec);
  if (spec.length > MAX_ADDRESS) throw invalid(`longer than ${MAX_ADDRESS} characters`, spec);
  const local = spec.slice(0, at);
  const domain = spec.slice(at + 1);
  if (local.length > MAX_LOCAL) throw invalid(`local part longer than ${MAX_LOCAL}`, spec);
  if (domain.length > MAX_DOMAIN) throw invalid(`domain longer than ${MAX_DOMAIN}`, spec);
  if (local.startsWith('"')) throw invalid('quoted local parts are not accepted', spec);
  let prevDot = true;
  for (let i = 0; i < local.length; i++) {
    const c = local.charCodeAt(i);
    if (c === 0x2e) {
      if (prevDot) throw invalid('empty label in the local part', spec);
      prevDot = true;
    } else if (isAtext(c)) prevDot = false;
    else throw invalid(`character ${JSON.stringify(local[i])} in the local part`, spec);
  }
  if (prevDot) throw invalid('the local part ends with a dot', spec);
  const ascii = domainToASCII(domain);
  if (ascii === '') throw invalid('the domain is not a valid host name', spec);
  const labels = ascii.split('.');
  for (const label of labels) {
    if (label.length === 0 || label.length > 63) throw invalid('bad domain label length', spec);
    if (!/^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/i.test(label))
      throw invalid('the domain must be letters, digits and hyphens', spec);
  }
  if (labels.length < 2) throw invalid('the domain has no dot', spec);
}

/** Splits at commas outside quoted strings and angle brackets, in one pass. */
function splitList(input: string): string[] {
  const parts: string[] = [];
  let start = 0;
  let inQuote = false;
  let inAngle = false;
  for (let i = 0; i < input.length; i++) {
    const ch = input[i];
    if (inQuote) {
      if (ch === '\\') i++;
      else if (ch === '"') inQuote = false;
    } else if (ch === '"') inQuote = true;
    else if (ch === '<') {
      if (inAngle) throw invalid('nested "<"', input);
      inAngle = true;
    } else if (ch === '>') inAngle = false;
    else if (ch === ',' && !inAngle) {
      parts.push(input.slice(start, i));
      start = i + 1;
    }
  }
  if (inQuote) throw invalid('unterminated quoted string', input);
  if (inAngle) throw invalid('unterminated "<"', input);
  parts.push(input.slice(start));
  return parts;
}

/** Decodes a quoted-string display name (`"Doe, John \"JD\""`). */
function unquote(s: string, whole: string): string {
  let out = '';
  for (let i = 1; i < s.length - 1; i++) {
    const ch = s[i];
    if (ch === '\\') {
      i++;
      if (i >= s.length - 1) throw invalid('dangling backslash', whole);
      out += s[i];
    } else if (ch === '"') throw invalid('stray quote in the display name', whole);
    else out += ch;
  }
  return out;
}

const PHRASE_SPECIALS = new Set(['(', ')', '<', '>', '[', ']', ':', ';', '@', '\\', ',', '"']);

function parseMailbox(raw: string, whole: string): Address {
  const s = raw.trim();
  if (s === '') throw invalid('empty entry in the list', whole);
  if (!s.endsWith('>')) {
    assertAddrSpec(s);
    return { name: '', address: s };
  }
  // The angle address is the last "<…>" (a quoted display name may itself hold "<"; an
  // unquoted one may not, which the phrase check below enforces).
  const open = s.lastIndexOf('<');
  if (open === -1) throw invalid('">" without "<"', whole);
  const spec = s.slice(open + 1, -1);
  assertAddrSpec(spec);
  const display = s.slice(0, open).trim();
  let name = '';
  if (display.startsWith('"')) {
    if (!display.endsWith('"') || display.length < 2)
      throw invalid('text after the quoted display name', whole);
    name = unquote(display, whole);
  } else {
    for (const ch of display) {
      if (PHRASE_SPECIALS.has(ch))
        throw invalid(`${JSON.stringify(ch)} in an unquoted display name`, whole);
    }
    name = display.replace(/\s+/g, ' ');
  }
  return { name, address: spec };
}

/**
 * Parses one address or a comma-separated list (`'Ada <ada@example.com>, bob@example.com'`)
 * strictly and in linear time; throws `RWS_MAILER_INVALID_ADDRESS` naming the fault.
 * Accepted: addr-spec, `name <addr-spec>`, `"quoted, name" <addr-spec>`. Refused: groups,
 * comments, quoted local parts, domain literals, control characters.
 * @see RFC 5322 §3.4
 */
export function parseAddressList(input: AddressInput | readonly AddressInput[]): Address[] {
  if (Array.isArray(input))
    return (input as readonly AddressInput[]).flatMap((a) => parseAddressList(a));
  if (typeof input !== 'string') {
    const one = input as { name?: string | undefined; address: string };
    if (typeof one.address !== 'string') throw invalid('no address', String(one.address));
    const name = one.name ?? '';
    if (hasControl(name) || hasControl(one.address))
      throw invalid('control character', one.address);
    assertAddrSpec(one.address);
    return [{ name, address: one.address }];
  }
  if (input.length > MAX_LIST_CHARS)
    throw invalid(`list longer than ${MAX_LIST_CHARS} characters`, input);
  if (hasControl(input)) throw invalid('control character (CR, LF, NUL…)', input);
  return splitList(input).map((part) => parseMailbox(part, input));
}

/** Parses exactly one mailbox (see `parseAddressList`). */
export function parseAddress(input: AddressInput): Address {
  const list = parseAddressList(input);
  const first = list[0];
  if (list.length !== 1 || first === undefined)
    throw invalid(
      'expected exactly one address',
      typeof input === 'string' ? input : input.address,
    );
  return first;
}

/** True when the address needs SMTPUTF8 (non-ASCII local part); a Unicode domain alone does not. */
export function needsSmtpUtf8(address: string): boolean {
  const at = address.lastIndexOf('@');
  return /[^\x00-\x7f]/.test(address.slice(0, at));
}

/** The envelope form: the domain in ASCII (IDNA) unless the local part needs SMTPUTF8 anyway. */
export function envelopeAddress(address: string): string {
  const at = address.lastIndexOf('@');
  return `${address.slice(0, at)}@${domainToASCII(address.slice(at + 1))}`;
}
