import { createReadStream } from 'node:fs';
import { basename } from 'node:path';
import { mimeType } from '@rws/core';
import {
  type Address,
  type AddressInput,
  envelopeAddress,
  needsSmtpUtf8,
  parseAddress,
  parseAddressList,
} from './address.js';
import { type DsnOptions, type DsnParameters, dsnParameters } from './dsn.js';
import {
  assertHeaderName,
  assertHeaderValue,
  encodeDisplayName,
  encodeParameter,
  encodeWords,
} from './encode-header.js';
import { ERROR_CODES, MailerError } from './errors.js';
import { randomHex } from './internal/random-hex.js';

/** An attachment or inline image. Exactly one of `content` and `path` is set. */
export interface Attachment {
  /** The file name shown to the reader; defaults to the base name of `path`. */
  filename?: string | undefined;
  /** The bytes, a string (UTF-8), or a stream read once while the message is sent. */
  content?:
    | string
    | Uint8Array
    | AsyncIterable<Uint8Array>
    | ReadableStream<Uint8Array>
    | undefined;
  /** A file read (streamed) while the message is sent. */
  path?: string | undefined;
  /** Default: from the file name's extension, else `application/octet-stream`. */
  contentType?: string | undefined;
  /** A Content-ID: the part becomes an inline image the HTML references as `cid:<cid>`. */
  cid?: string | undefined;
}

/** One message to send. */
export interface MailMessage {
  /** The author; `Mailer`'s `from` option fills it when absent. */
  from?: AddressInput | undefined;
  to?: AddressInput | readonly AddressInput[] | undefined;
  cc?: AddressInput | readonly AddressInput[] | undefined;
  /** Receives the message, appears in no header. */
  bcc?: AddressInput | readonly AddressInput[] | undefined;
  replyTo?: AddressInput | readonly AddressInput[] | undefined;
  subject?: string | undefined;
  text?: string | undefined;
  html?: string | undefined;
  attachments?: readonly Attachment[] | undefined;
  /** Extra headers. CR/LF in a value is refused; the headers the mailer writes cannot be set here. */
  headers?: Readonly<Record<string, string>> | undefined;
  /** Default: `<random@sender-domain>`. */
  messageId?: string | undefined;
  /** Default: now. */
  date?: Date | undefined;
  /** Overrides the SMTP envelope (default: `from`, and `to` + `cc` + `bcc`). */
  envelope?: { from: string; to: readonly string[] } | undefined;
  /** Delivery Status Notification requests (RFC 3461); see `DsnOptions`. */
  dsn?: DsnOptions | undefined;
}

/** The SMTP envelope: reverse path and forward paths. */
export interface Envelope {
  readonly from: string;
  readonly to: readonly string[];
}

/** A built message: headers ready to sign, and a body generated (and streamed) on demand. */
export interface BuiltMessage {
  readonly envelope: Envelope;
  readonly messageId: string;
  /** Header fields in order, values already encoded and folded. */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  /** True when an address needs SMTPUTF8 (a non-ASCII local part). */
  readonly needsSmtpUtf8: boolean;
  /** The validated DSN parameters, when the message asks for any. */
  readonly dsn: DsnParameters | undefined;
  /**
   * The whole body (after the blank line) as a string when the message has no attachment, so
   * a sender can write head and body at once; undefined when there are attachments to stream.
   */
  readonly bodyText: string | undefined;
  /** The body (after the blank line). Streams attachments; call it once per send. */
  body(): AsyncIterable<Buffer>;
}

const RESERVED = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'dkim-signature',
]);

function formatAddresses(field: string, list: readonly Address[]): string {
  return list
    .map((a, i) => {
      if (a.name === '') return a.address;
      const used = i === 0 ? field.length + 2 : 1;
      const name = encodeDisplayName(a.name, used);
      const lastLine = name.slice(name.lastIndexOf('\n') + 1);
      const lastLength = name.includes('\n') ? lastLine.length : used + lastLine.length;
      // Keep the line near 78 characters: the angle address goes on its own line if need be.
      const sep = lastLength + a.address.length + 3 > 78 ? '\r\n ' : ' ';
      return `${name}${sep}<${a.address}>`;
    })
    .join(',\r\n ');
}

/** Folds an unstructured ASCII value at spaces so lines stay under 78 characters where possible. */
function foldText(name: string, value: string): string {
  if (name.length + 2 + value.length <= 78) return value;
  let out = '';
  let line = name.length + 2;
  for (const word of value.split(' ')) {
    if (out !== '' && line + 1 + word.length > 78) {
      out += '\r\n ';
      line = 1;
    } else if (out !== '') {
      out += ' ';
      line++;
    }
    out += word;
    line += word.length;
  }
  return out;
}

/** RFC 5322 §3.3 date-time in UTC. */
function formatDate(date: Date): string {
  return date.toUTCString().replace('GMT', '+0000');
}

function toCrlf(text: string): string {
  return text.replace(/\r\n|\r|\n/g, '\r\n');
}

const HEX = '0123456789ABCDEF';

/**
 * Quoted-printable with soft breaks at 76 characters; CRLF in the input stays a hard break.
 * @see RFC 2045 §6.7
 */
function encodeQuotedPrintable(text: string): string {
  const out: string[] = [];
  for (const line of toCrlf(text).split('\r\n')) {
    const bytes = Buffer.from(line);
    let cur = '';
    for (let i = 0; i < bytes.length; i++) {
      const b = bytes[i] as number;
      const isLast = i === bytes.length - 1;
      let enc: string;
      if ((b >= 33 && b <= 126 && b !== 61) || ((b === 32 || b === 9) && !isLast))
        enc = String.fromCharCode(b);
      else enc = `=${HEX[b >> 4]}${HEX[b & 15]}`;
      if (cur.length + enc.length > 75) {
        out.push(`${cur}=`);
        cur = '';
      }
      cur += enc;
    }
    out.push(cur);
  }
  return out.join('\r\n');
}

/** The longest line SMTP carries, CRLF excluded. @see RFC 5321 §4.5.3.1.6 */
const MAX_LINE_OCTETS = 998;

/**
 * True when `text` can go as 7bit: ASCII only, no line longer than 998 octets. One linear
 * pass: a regular expression like `[^\r\n]{999}` retries from every position of a long line.
 */
function isSevenBit(text: string): boolean {
  let run = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c > 0x7f) return false;
    if (c === 0x0a || c === 0x0d) run = 0;
    else if (++run > MAX_LINE_OCTETS) return false;
  }
  return true;
}

/** A text part's content headers and encoded body, computed once per message. */
interface TextPart {
  readonly headers: string;
  readonly body: string;
}

function textPart(contentType: string, text: string): TextPart {
  const is7bit = isSevenBit(text);
  const body = is7bit ? toCrlf(text) : encodeQuotedPrintable(text);
  const cte = is7bit ? '7bit' : 'quoted-printable';
  return {
    headers: `Content-Type: ${contentType}; charset=utf-8\r\nContent-Transfer-Encoding: ${cte}\r\n`,
    body,
  };
}

/** The attachment's bytes; a read failure becomes `RWS_MAILER_INVALID_MESSAGE` naming it. */
async function* attachmentBytes(a: Attachment): AsyncIterable<Uint8Array> {
  try {
    yield* rawAttachmentBytes(a);
  } catch (err) {
    const name = a.filename ?? a.path ?? '';
    throw new MailerError(
      ERROR_CODES.INVALID_MESSAGE,
      `attachment ${JSON.stringify(name)} cannot be read: ${(err as Error).message}`,
      { cause: err },
    );
  }
}

async function* rawAttachmentBytes(a: Attachment): AsyncIterable<Uint8Array> {
  const c = a.content;
  if (a.path !== undefined) yield* createReadStream(a.path) as AsyncIterable<Uint8Array>;
  else if (typeof c === 'string') yield Buffer.from(c);
  else if (c instanceof Uint8Array) yield c;
  else if (c !== undefined && Symbol.asyncIterator in c) yield* c as AsyncIterable<Uint8Array>;
  else if (c !== undefined) {
    const reader = (c as ReadableStream<Uint8Array>).getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      yield value;
    }
  }
}

/** Base64 in 76-character lines, streamed: 57 input bytes make one line. @see RFC 2045 §6.8 */
async function* base64Lines(source: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  let carry = Buffer.alloc(0);
  for await (const chunk of source) {
    const data = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    const whole = data.length - (data.length % 57);
    if (whole > 0) {
      const lines: string[] = [];
      for (let i = 0; i < whole; i += 57) lines.push(data.subarray(i, i + 57).toString('base64'));
      yield Buffer.from(`${lines.join('\r\n')}\r\n`);
    }
    carry = data.subarray(whole);
  }
  if (carry.length > 0) yield Buffer.from(`${carry.toString('base64')}\r\n`);
}

type Node =
  | { kind: 'text'; part: TextPart }
  | { kind: 'attachment'; attachment: Attachment; inline: boolean; binary: boolean }
  | { kind: 'multipart'; subtype: 'mixed' | 'alternative' | 'related'; children: Node[] };

function boundary(): string {
  return `----=_rws_${randomHex(12)}`;
}

function attachmentHeaders(a: Attachment, inline: boolean, binary: boolean): string {
  const filename = a.filename ?? (a.path !== undefined ? basename(a.path) : undefined);
  const type =
    a.contentType ?? (filename !== undefined ? mimeType(filename) : 'application/octet-stream');
  assertHeaderValue('Content-Type', type);
  if (filename !== undefined) assertHeaderValue('filename', filename);
  // Parameters go on continuation lines so long file names keep lines short.
  let h = `Content-Type: ${type}${filename !== undefined ? `;\r\n ${encodeParameter('name', filename)}` : ''}\r\n`;
  h += `Content-Transfer-Encoding: ${binary ? 'binary' : 'base64'}\r\n`;
  h += `Content-Disposition: ${inline ? 'inline' : 'attachment'}${filename !== undefined ? `;\r\n ${encodeParameter('filename', filename)}` : ''}\r\n`;
  if (a.cid !== undefined) {
    assertHeaderValue('Content-ID', a.cid);
    if (/[<>\s]/.test(a.cid))
      throw new MailerError(ERROR_CODES.INVALID_HEADER, `invalid cid ${JSON.stringify(a.cid)}`);
    h += `Content-ID: <${a.cid}>\r\n`;
  }
  return h;
}

/** Content headers of a node (ends with CRLF) and the boundary of a multipart. */
function nodeHeaders(node: Node): { headers: string; boundary?: string } {
  if (node.kind === 'text') return { headers: node.part.headers };
  if (node.kind === 'attachment')
    return { headers: attachmentHeaders(node.attachment, node.inline, node.binary) };
  const b = boundary();
  return {
    headers: `Content-Type: multipart/${node.subtype};\r\n boundary="${b}"\r\n`,
    boundary: b,
  };
}

async function* nodeBody(node: Node, b: string | undefined): AsyncIterable<Buffer> {
  if (node.kind === 'text') {
    yield Buffer.from(`${node.part.body}\r\n`);
  } else if (node.kind === 'attachment') {
    if (!node.binary) yield* base64Lines(attachmentBytes(node.attachment));
    else for await (const c of attachmentBytes(node.attachment)) yield Buffer.from(c);
  } else {
    for (const child of node.children) {
      const h = nodeHeaders(child);
      yield Buffer.from(`--${b}\r\n${h.headers}\r\n`);
      yield* nodeBody(child, h.boundary);
      // Base64 ends with CRLF; raw bytes need one before the boundary (it belongs to the delimiter).
      if (child.kind === 'attachment' && child.binary) yield Buffer.from('\r\n');
    }
    yield Buffer.from(`--${b}--\r\n`);
  }
}

/** The whole body of a tree without attachments, as one string (nothing to stream). */
function nodeText(node: Node, b: string | undefined): string {
  if (node.kind === 'text') return `${node.part.body}\r\n`;
  if (node.kind === 'attachment') throw new Error('nodeText: an attachment has no text form');
  let out = '';
  for (const child of node.children) {
    const h = nodeHeaders(child);
    out += `--${b}\r\n${h.headers}\r\n${nodeText(child, h.boundary)}`;
  }
  return `${out}--${b}--\r\n`;
}

function validateAttachment(a: Attachment): void {
  if ((a.content === undefined) === (a.path === undefined))
    throw new MailerError(
      ERROR_CODES.INVALID_MESSAGE,
      `attachment ${JSON.stringify(a.filename ?? '')}: set exactly one of content and path`,
    );
}

function optionalList(v: AddressInput | readonly AddressInput[] | undefined): Address[] {
  return v === undefined ? [] : parseAddressList(v as AddressInput);
}

/**
 * Builds a message: validates and encodes every header (RFC 2047 for non-ASCII text, CR/LF
 * refused), lays out multipart/mixed > related > alternative as needed, and returns a body
 * generator that streams attachments as base64, or with `binaryAttachments` as raw bytes
 * (`Content-Transfer-Encoding: binary`, which only BINARYMIME over BDAT may carry).
 * @see RFC 5322, RFC 2045-2049, RFC 3030 §3
 */
export function buildMessage(
  message: MailMessage,
  options: { binaryAttachments?: boolean | undefined } = {},
): BuiltMessage {
  const binary = options.binaryAttachments === true;
  if (message.from === undefined)
    throw new MailerError(ERROR_CODES.INVALID_MESSAGE, 'the message has no from address');
  const from = parseAddress(message.from);
  const to = optionalList(message.to);
  const cc = optionalList(message.cc);
  const bcc = optionalList(message.bcc);
  const replyTo = optionalList(message.replyTo);
  // Envelope domains are IDNA A-labels: valid with or without SMTPUTF8 (RFC 6531 §3.2).
  const envelope: Envelope = message.envelope
    ? {
        from: envelopeAddress(parseAddress(message.envelope.from).address),
        to: message.envelope.to.map((t) => envelopeAddress(parseAddress(t).address)),
      }
    : {
        from: envelopeAddress(from.address),
        to: [...to, ...cc, ...bcc].map((a) => envelopeAddress(a.address)),
      };
  if (envelope.to.length === 0)
    throw new MailerError(ERROR_CODES.INVALID_MESSAGE, 'the message has no recipient');
  const utf8 = [envelope.from, ...envelope.to].some(needsSmtpUtf8);
  const dsn = message.dsn ? dsnParameters(message.dsn, envelope.to) : undefined;

  const domain = envelopeAddress(from.address).split('@')[1] ?? 'localhost';
  const messageId = message.messageId ?? `<${randomHex(16)}@${domain}>`;
  assertHeaderValue('Message-ID', messageId);
  if (!/^<[^<>\s]+@[^<>\s]+>$/.test(messageId))
    throw new MailerError(
      ERROR_CODES.INVALID_HEADER,
      `invalid Message-ID ${JSON.stringify(messageId)}`,
    );

  const headers: Array<[string, string]> = [];
  headers.push(['From', formatAddresses('From', [from])]);
  if (to.length > 0) headers.push(['To', formatAddresses('To', to)]);
  if (cc.length > 0) headers.push(['Cc', formatAddresses('Cc', cc)]);
  if (replyTo.length > 0) headers.push(['Reply-To', formatAddresses('Reply-To', replyTo)]);
  if (message.subject !== undefined) {
    assertHeaderValue('Subject', message.subject);
    const enc = encodeWords(message.subject, 'Subject: '.length);
    headers.push(['Subject', enc === message.subject ? foldText('Subject', enc) : enc]);
  }
  headers.push(['Date', formatDate(message.date ?? new Date())]);
  headers.push(['Message-ID', messageId]);
  for (const [name, value] of Object.entries(message.headers ?? {})) {
    assertHeaderName(name);
    assertHeaderValue(name, value);
    if (RESERVED.has(name.toLowerCase()))
      throw new MailerError(
        ERROR_CODES.INVALID_HEADER,
        `header ${JSON.stringify(name)} is written by the mailer; use the message field instead`,
      );
    const enc = encodeWords(value, name.length + 2);
    headers.push([name, enc === value ? foldText(name, enc) : enc]);
  }
  headers.push(['MIME-Version', '1.0']);

  const attachments = message.attachments ?? [];
  for (const a of attachments) validateAttachment(a);
  const inline = attachments.filter((a) => a.cid !== undefined);
  const regular = attachments.filter((a) => a.cid === undefined);
  const bodies: Node[] = [];
  if (message.text !== undefined)
    bodies.push({ kind: 'text', part: textPart('text/plain', message.text) });
  if (message.html !== undefined)
    bodies.push({ kind: 'text', part: textPart('text/html', message.html) });
  if (bodies.length === 0 && attachments.length === 0)
    throw new MailerError(
      ERROR_CODES.INVALID_MESSAGE,
      'the message has no text, html or attachment',
    );
  let root: Node | undefined =
    bodies.length > 1 ? { kind: 'multipart', subtype: 'alternative', children: bodies } : bodies[0];
  if (inline.length > 0) {
    const parts: Node[] = inline.map((attachment) => ({
      kind: 'attachment',
      attachment,
      inline: true,
      binary,
    }));
    root = { kind: 'multipart', subtype: 'related', children: root ? [root, ...parts] : parts };
  }
  if (regular.length > 0) {
    const parts: Node[] = regular.map((attachment) => ({
      kind: 'attachment',
      attachment,
      inline: false,
      binary,
    }));
    root = root
      ? { kind: 'multipart', subtype: 'mixed', children: [root, ...parts] }
      : parts.length === 1
        ? parts[0]
        : { kind: 'multipart', subtype: 'mixed', children: parts };
  }
  const top = root as Node;
  const h = nodeHeaders(top);
  for (const line of h.headers.trimEnd().split(/\r\n(?! )/)) {
    const colon = line.indexOf(':');
    headers.push([line.slice(0, colon), line.slice(colon + 2)]);
  }
  const bodyText = attachments.length === 0 ? nodeText(top, h.boundary) : undefined;
  return {
    envelope,
    messageId,
    headers,
    needsSmtpUtf8: utf8,
    dsn,
    bodyText,
    body: bodyText === undefined ? () => nodeBody(top, h.boundary) : () => single(bodyText),
  };
}

async function* single(text: string): AsyncIterable<Buffer> {
  yield Buffer.from(text);
}

/** Serialises header fields (`Name: value\r\n` each). */
export function serializeHeaders(headers: ReadonlyArray<readonly [string, string]>): string {
  let out = '';
  for (const [name, value] of headers) out += `${name}: ${value}\r\n`;
  return out;
}
