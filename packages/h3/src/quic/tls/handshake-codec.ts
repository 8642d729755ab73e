import { cryptoError, TLS_ALERT } from '../../errors.js';
import { ByteReader } from '../byte-reader.js';
import { ByteWriter } from '../byte-writer.js';
import { EXTENSION } from './tls-types.js';

/**
 * TLS 1.3 handshake message framing and the extension bodies QUIC needs. Malformed input
 * throws QuicError CRYPTO_ERROR with the decode_error alert; nothing else.
 * @see RFC 8446 §4
 */

/** The largest handshake message accepted (a certificate chain fits; memory stays bounded). */
const MAX_HANDSHAKE_MESSAGE: number = 64 * 1024;

/** A reader whose failures are TLS decode_error alerts. */
export function tlsReader(bytes: Uint8Array, what: string): ByteReader {
  return new ByteReader(bytes, (message) =>
    cryptoError(TLS_ALERT.DECODE_ERROR, `${what}: ${message}`),
  );
}

/** `body` with its 4-byte handshake header (type, 24-bit length). */
export function handshakeMessage(type: number, body: Uint8Array): Uint8Array {
  return new ByteWriter(body.length + 4).u8(type).u24(body.length).bytes(body).finish();
}

/** One handshake message split out of the CRYPTO stream. */
export interface HandshakeMessage {
  readonly type: number;
  readonly body: Uint8Array;
  /** Header and body, as added to the transcript. */
  readonly raw: Uint8Array;
}

/** Splits a level's CRYPTO stream bytes into whole handshake messages. */
export class HandshakeFramer {
  #pending: Uint8Array = new Uint8Array(0);

  push(data: Uint8Array): void {
    if (this.#pending.length === 0) {
      this.#pending = data;
      return;
    }
    const next = new Uint8Array(this.#pending.length + data.length);
    next.set(this.#pending);
    next.set(data, this.#pending.length);
    this.#pending = next;
  }

  /** The next whole message, or undefined until more bytes arrive. */
  next(): HandshakeMessage | undefined {
    const p = this.#pending;
    if (p.length < 4) return undefined;
    const length = (p[1]! << 16) | (p[2]! << 8) | p[3]!;
    if (length > MAX_HANDSHAKE_MESSAGE) {
      throw cryptoError(
        TLS_ALERT.DECODE_ERROR,
        `a handshake message of ${length} bytes exceeds ${MAX_HANDSHAKE_MESSAGE}`,
      );
    }
    if (p.length < 4 + length) return undefined;
    const raw = p.slice(0, 4 + length);
    this.#pending = p.subarray(4 + length);
    return { type: raw[0]!, body: raw.subarray(4), raw };
  }

  /** Whether bytes of an unfinished message are waiting (not allowed when keys change). */
  get hasPartial(): boolean {
    return this.#pending.length > 0;
  }
}

/** Extensions by type. */
export type Extensions = ReadonlyMap<number, Uint8Array>;

/** Writes a u16-length-prefixed extension list. */
export function writeExtensions(
  w: ByteWriter,
  extensions: ReadonlyArray<readonly [number, Uint8Array]>,
): void {
  const at = w.beginLength(2);
  for (const [type, body] of extensions) {
    w.u16(type);
    const len = w.beginLength(2);
    w.bytes(body);
    w.endLength(len, 2);
  }
  w.endLength(at, 2);
}

/** Reads a u16-length-prefixed extension list; a repeated type is illegal_parameter. */
export function readExtensions(r: ByteReader): Extensions {
  const list = r.sub(r.u16('the extensions length'), 'the extensions');
  const out = new Map<number, Uint8Array>();
  while (list.remaining > 0) {
    const type = list.u16('an extension type');
    const body = list.bytes(list.u16('an extension length'), 'an extension');
    if (out.has(type))
      throw cryptoError(TLS_ALERT.ILLEGAL_PARAMETER, `extension ${type} appears twice`);
    out.set(type, body);
  }
  if (r.remaining !== 0) throw r.fail('bytes after the extensions');
  return out;
}

const utf8 = new TextEncoder();

/** application_layer_protocol_negotiation: a u16 list of u8-prefixed names. @see RFC 7301 */
export function encodeAlpn(protocols: readonly string[]): Uint8Array {
  const w = new ByteWriter(32);
  const at = w.beginLength(2);
  for (const p of protocols) {
    const b = utf8.encode(p);
    w.u8(b.length).bytes(b);
  }
  return w.endLength(at, 2).finish();
}

export function parseAlpn(body: Uint8Array): string[] {
  const r = tlsReader(body, 'ALPN');
  const list = r.sub(r.u16(), 'the protocol list');
  const out: string[] = [];
  while (list.remaining > 0) {
    const name = list.bytes(list.u8(), 'a protocol name');
    if (name.length === 0) throw r.fail('an empty protocol name');
    out.push(Buffer.from(name).toString('latin1'));
  }
  if (out.length === 0) throw r.fail('an empty protocol list');
  return out;
}

/** server_name with one host_name entry. @see RFC 6066 §3 */
export function encodeServerName(name: string): Uint8Array {
  const b = utf8.encode(name);
  const w = new ByteWriter(b.length + 5);
  const at = w.beginLength(2);
  w.u8(0).u16(b.length).bytes(b);
  return w.endLength(at, 2).finish();
}

export function parseServerName(body: Uint8Array): string | undefined {
  const r = tlsReader(body, 'server_name');
  const list = r.sub(r.u16(), 'the name list');
  while (list.remaining > 0) {
    const type = list.u8();
    const name = list.bytes(list.u16(), 'a server name');
    if (type === 0) return Buffer.from(name).toString('latin1');
  }
  return undefined;
}

/** A u8- or u16-prefixed list of u16 values (supported_versions, groups, signature schemes). */
export function encodeU16List(values: readonly number[], prefix: 1 | 2): Uint8Array {
  const w = new ByteWriter(2 + values.length * 2);
  const at = w.beginLength(prefix);
  for (const v of values) w.u16(v);
  return w.endLength(at, prefix).finish();
}

export function parseU16List(body: Uint8Array, prefix: 1 | 2, what: string): number[] {
  const r = tlsReader(body, what);
  const length = prefix === 1 ? r.u8() : r.u16();
  const list = r.sub(length, 'the list');
  if (length % 2 !== 0) throw r.fail('an odd list length');
  const out: number[] = [];
  while (list.remaining > 0) out.push(list.u16());
  return out;
}

/** One key_share entry. */
export interface KeyShareEntry {
  readonly group: number;
  readonly key: Uint8Array;
}

/** key_share in a ClientHello: a u16 list of entries. */
export function encodeClientKeyShares(shares: readonly KeyShareEntry[]): Uint8Array {
  const w = new ByteWriter(128);
  const at = w.beginLength(2);
  for (const s of shares) w.u16(s.group).u16(s.key.length).bytes(s.key);
  return w.endLength(at, 2).finish();
}

export function parseClientKeyShares(body: Uint8Array): KeyShareEntry[] {
  const r = tlsReader(body, 'key_share');
  const list = r.sub(r.u16(), 'the key share list');
  const out: KeyShareEntry[] = [];
  while (list.remaining > 0) {
    const group = list.u16();
    out.push({ group, key: list.bytes(list.u16(), 'a key exchange value') });
  }
  return out;
}

/** key_share in a ServerHello: one entry. */
export function encodeServerKeyShare(share: KeyShareEntry): Uint8Array {
  return new ByteWriter(share.key.length + 4)
    .u16(share.group)
    .u16(share.key.length)
    .bytes(share.key)
    .finish();
}

export function parseServerKeyShare(body: Uint8Array): KeyShareEntry {
  const r = tlsReader(body, 'key_share');
  const group = r.u16();
  const key = r.bytes(r.u16(), 'the key exchange value');
  if (r.remaining !== 0) throw r.fail('trailing bytes');
  return { group, key };
}

/** Reads extension `type` or fails with missing_extension. */
export function requireExtension(extensions: Extensions, type: number, what: string): Uint8Array {
  const body = extensions.get(type);
  if (body === undefined)
    throw cryptoError(TLS_ALERT.MISSING_EXTENSION, `the ${what} extension is missing`);
  return body;
}

/** Whether the extension list offers TLS 1.3 in supported_versions (client form). */
export function offersTls13(extensions: Extensions): boolean {
  const body = extensions.get(EXTENSION.SUPPORTED_VERSIONS);
  return body !== undefined && parseU16List(body, 1, 'supported_versions').includes(0x0304);
}
