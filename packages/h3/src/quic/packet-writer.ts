import { ByteWriter } from './byte-writer.js';
import type { PacketKeys } from './crypto/packet-keys.js';
import { writeFrame } from './frame-writer.js';
import type { Frame } from './frames.js';
import { writeLongHeader, writeShortHeader } from './packet-header.js';
import { type HeaderProtectionBatch, protectInPlace } from './packet-protection.js';
import type { SpaceName } from './packet-space.js';
import { varintLength } from './varint.js';
import type { VersionProfile } from './version.js';

/** What a packet's header is chosen by: its space, or 0-RTT (application space, long header). */
export type PacketType = SpaceName | '0rtt';

/** Everything needed to write one protected packet. */
export interface OutgoingPacket {
  readonly space: PacketType;
  readonly keys: PacketKeys;
  readonly profile: VersionProfile;
  readonly dcid: Uint8Array;
  readonly scid: Uint8Array;
  readonly pn: number;
  readonly pnLength: 1 | 2 | 3 | 4;
  /** The token of a client's Initial packets (from a Retry or NEW_TOKEN); empty otherwise. */
  readonly token?: Uint8Array;
  /** The key phase bit of a 1-RTT packet (RFC 9001 §6); ignored for long headers. */
  readonly keyPhase?: 0 | 1;
  /** The frames, already sized to fit (padding included). */
  readonly frames: readonly Frame[];
}

/**
 * Bytes of the header a packet in `space` takes: long headers for Initial (with its token),
 * Handshake and 0-RTT, short headers for 1-RTT. The Length field is always 2 bytes.
 */
export function packetHeaderLength(
  space: PacketType,
  dcidLength: number,
  scidLength: number,
  pnLength: number,
  tokenLength = 0,
): number {
  if (space === 'application') return 1 + dcidLength + pnLength;
  const tokenBytes = space === 'initial' ? varintLength(tokenLength) + tokenLength : 0;
  return 1 + 4 + 1 + dcidLength + 1 + scidLength + tokenBytes + 2 + pnLength;
}

/** The frames of a long-header packet (whose Length field precedes them); one buffer reused. */
const scratchBody = new ByteWriter(1500);

/**
 * Writes the header and frames of one packet at the end of `into` (the datagram being built)
 * and applies packet protection in place; returns the packet's size. Header protection is
 * applied at once, or left to `batch` (which must apply it before the datagram is sent).
 * A 1-RTT packet's frames go straight into the datagram and are sealed where they lie; a long
 * header's Length field needs the frames' size first, so those are written to a scratch
 * buffer. No per-packet buffers but the cipher's own output.
 */
export function writeProtectedPacket(
  p: OutgoingPacket,
  into: ByteWriter,
  batch?: HeaderProtectionBatch,
): number {
  const start = into.length;
  if (p.space === 'application') {
    const pnOffset = writeShortHeader(into, p.dcid, p.pn, p.pnLength, p.keyPhase ?? 0);
    for (const frame of p.frames) writeFrame(into, frame);
    into.skip(16);
    // The view is taken after the last write, which may have moved the buffer; the frames
    // are sealed where they lie.
    const packet = into.tail(start);
    protectInPlace(p.keys, packet, pnOffset - start, p.pn, undefined, batch);
    return packet.length;
  }
  const body = scratchBody.reset();
  for (const frame of p.frames) writeFrame(body, frame);
  const pnOffset = writeLongHeader(into, {
    type: p.space,
    profile: p.profile,
    dcid: p.dcid,
    scid: p.scid,
    pn: p.pn,
    pnLength: p.pnLength,
    ...(p.token ? { token: p.token } : {}),
    payloadLength: body.length + 16,
  });
  into.skip(body.length + 16);
  const packet = into.tail(start);
  protectInPlace(p.keys, packet, pnOffset - start, p.pn, body.view(), batch);
  return packet.length;
}
