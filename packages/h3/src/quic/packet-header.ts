import { ByteWriter } from './byte-writer.js';
import { readVarint } from './varint.js';
import { type LongPacketType, type VersionProfile, versionProfile } from './version.js';

/**
 * Packet headers as seen before header protection is removed: everything up to the packet
 * number. A header that does not parse means the datagram is dropped (RFC 9000 §5.2, §12.2),
 * so the parser returns null instead of throwing.
 * @see RFC 9000 §17
 */

/** The longest connection ID version 1 and 2 allow. */
export const MAX_CID_LENGTH = 20;

/** A long-header packet other than Retry and Version Negotiation, still header-protected. */
export interface LongHeader {
  readonly form: 'long';
  readonly type: Exclude<LongPacketType, 'retry'>;
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  /** Initial packets only; empty otherwise. */
  readonly token: Uint8Array;
  /** Offset of the first byte of the packet within the datagram. */
  readonly start: number;
  /** Offset of the (protected) packet number. */
  readonly pnOffset: number;
  /** Offset just past this packet: the next coalesced packet starts here. */
  readonly end: number;
}

/** A short-header (1-RTT) packet, still header-protected; it runs to the end of the datagram. */
export interface ShortHeader {
  readonly form: 'short';
  readonly dcid: Uint8Array;
  readonly start: number;
  readonly pnOffset: number;
  readonly end: number;
}

/** A Retry packet: a new source connection ID and a token, with its integrity tag. */
interface RetryHeader {
  readonly form: 'retry';
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly token: Uint8Array;
  readonly tag: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** A Version Negotiation packet: the versions the server supports. */
interface VersionNegotiationHeader {
  readonly form: 'version-negotiation';
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly versions: readonly number[];
  readonly start: number;
  readonly end: number;
}

/** A long header with a version this endpoint does not speak (server answers with VN). */
interface UnsupportedVersionHeader {
  readonly form: 'unsupported-version';
  readonly version: number;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly start: number;
  readonly end: number;
}

/** Any header `parsePacketHeader` can return. */
export type PacketHeader =
  | LongHeader
  | ShortHeader
  | RetryHeader
  | VersionNegotiationHeader
  | UnsupportedVersionHeader;

/**
 * Parses the header of the packet starting at `offset` in a datagram. `shortDcidLength` is the
 * length of the connection IDs this endpoint issues (short headers carry no length byte).
 * Returns null when the bytes are not a well-formed QUIC packet.
 */
export function parsePacketHeader(
  buf: Uint8Array,
  offset: number,
  shortDcidLength: number,
): PacketHeader | null {
  if (offset >= buf.length) return null;
  const first = buf[offset]!;
  if ((first & 0x80) === 0) {
    // Short header: the fixed bit must be set (we never negotiate grease_quic_bit).
    if ((first & 0x40) === 0) return null;
    const pnOffset = offset + 1 + shortDcidLength;
    // At least 4 bytes of packet number space plus a 16-byte sample must follow.
    if (pnOffset + 4 + 16 > buf.length) return null;
    return {
      form: 'short',
      dcid: buf.subarray(offset + 1, pnOffset),
      start: offset,
      pnOffset,
      end: buf.length,
    };
  }
  if (offset + 7 > buf.length) return null;
  const version =
    ((buf[offset + 1]! << 24) |
      (buf[offset + 2]! << 16) |
      (buf[offset + 3]! << 8) |
      buf[offset + 4]!) >>>
    0;
  let p = offset + 5;
  const dcidLength = buf[p++]!;
  if (p + dcidLength + 1 > buf.length) return null;
  const dcid = buf.subarray(p, p + dcidLength);
  p += dcidLength;
  const scidLength = buf[p++]!;
  if (p + scidLength > buf.length) return null;
  const scid = buf.subarray(p, p + scidLength);
  p += scidLength;

  if (version === 0) return parseVersionNegotiation(buf, offset, p, dcid, scid);
  const profile = versionProfile(version);
  // Invariants (RFC 8999) only: unknown versions may use longer CIDs; the server answers VN.
  if (profile === undefined) {
    return { form: 'unsupported-version', version, dcid, scid, start: offset, end: buf.length };
  }
  if (dcidLength > MAX_CID_LENGTH || scidLength > MAX_CID_LENGTH) return null;
  if ((first & 0x40) === 0) return null;
  const type = profile.typeOfBits[(first >> 4) & 0x03]!;
  if (type === 'retry') {
    if (buf.length - p < 16) return null;
    return {
      form: 'retry',
      version,
      dcid,
      scid,
      token: buf.subarray(p, buf.length - 16),
      tag: buf.subarray(buf.length - 16),
      start: offset,
      end: buf.length,
    };
  }
  let token: Uint8Array = buf.subarray(p, p);
  if (type === 'initial') {
    const tokenLength = readVarint(buf, p);
    if (tokenLength < 0) return null;
    p += 1 << (buf[p]! >> 6);
    if (p + tokenLength > buf.length) return null;
    token = buf.subarray(p, p + tokenLength);
    p += tokenLength;
  }
  const length = readVarint(buf, p);
  if (length < 0) return null;
  p += 1 << (buf[p]! >> 6);
  // The Length field covers the packet number and the protected payload; it must hold at
  // least 4 bytes for the header protection sample offset plus the 16-byte sample.
  if (length < 20 || p + length > buf.length) return null;
  return {
    form: 'long',
    type,
    version,
    dcid,
    scid,
    token,
    start: offset,
    pnOffset: p,
    end: p + length,
  };
}

function parseVersionNegotiation(
  buf: Uint8Array,
  start: number,
  p: number,
  dcid: Uint8Array,
  scid: Uint8Array,
): VersionNegotiationHeader | null {
  const rest = buf.length - p;
  if (rest === 0 || rest % 4 !== 0) return null;
  const versions: number[] = [];
  for (; p < buf.length; p += 4) {
    versions.push(((buf[p]! << 24) | (buf[p + 1]! << 16) | (buf[p + 2]! << 8) | buf[p + 3]!) >>> 0);
  }
  return { form: 'version-negotiation', dcid, scid, versions, start, end: buf.length };
}

/** The fields of a long header to write. */
export interface LongHeaderFields {
  readonly type: Exclude<LongPacketType, 'retry'>;
  readonly profile: VersionProfile;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  /** Initial packets only. */
  readonly token?: Uint8Array;
  readonly pn: number;
  readonly pnLength: 1 | 2 | 3 | 4;
  /** Bytes after the packet number: frames plus the 16-byte AEAD tag. */
  readonly payloadLength: number;
}

/**
 * Writes an unprotected long header (through the packet number) and returns the packet-number
 * offset. The Length field always takes 2 bytes so the size of a packet is known before its
 * payload is final (datagrams stay under 16 KiB).
 */
export function writeLongHeader(w: ByteWriter, h: LongHeaderFields): number {
  const typeBits = h.profile.typeBits[h.type];
  w.u8(0xc0 | (typeBits << 4) | (h.pnLength - 1));
  w.u32(h.profile.version);
  w.u8(h.dcid.length).bytes(h.dcid);
  w.u8(h.scid.length).bytes(h.scid);
  if (h.type === 'initial') {
    const token = h.token ?? new Uint8Array(0);
    w.varint(token.length).bytes(token);
  }
  w.varint(h.pnLength + h.payloadLength, 2);
  const pnOffset = w.length;
  writePacketNumber(w, h.pn, h.pnLength);
  return pnOffset;
}

/**
 * Writes an unprotected short header and returns the packet-number offset.
 * @see RFC 9000 §17.3.1
 */
export function writeShortHeader(
  w: ByteWriter,
  dcid: Uint8Array,
  pn: number,
  pnLength: 1 | 2 | 3 | 4,
  keyPhase: 0 | 1,
): number {
  w.u8(0x40 | (keyPhase << 2) | (pnLength - 1));
  w.bytes(dcid);
  const pnOffset = w.length;
  writePacketNumber(w, pn, pnLength);
  return pnOffset;
}

function writePacketNumber(w: ByteWriter, pn: number, length: number): void {
  for (let i = length - 1; i >= 0; i--) w.u8(Math.floor(pn / 2 ** (8 * i)) & 0xff);
}

/**
 * A Version Negotiation packet answering a client's long header: its connection IDs swapped
 * and our versions listed.
 * @see RFC 9000 §17.2.1
 */
export function versionNegotiationPacket(
  clientDcid: Uint8Array,
  clientScid: Uint8Array,
  versions: readonly number[],
): Uint8Array {
  const w = new ByteWriter(64);
  // The unused bits are random; 0x40 keeps the fixed bit set as most stacks do.
  w.u8(0xc0 | Math.floor(Math.random() * 0x40));
  w.u32(0);
  w.u8(clientScid.length).bytes(clientScid);
  w.u8(clientDcid.length).bytes(clientDcid);
  for (const v of versions) w.u32(v);
  return w.finish();
}
