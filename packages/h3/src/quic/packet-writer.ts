import { ByteWriter } from './byte-writer.js';
import type { PacketKeys } from './crypto/packet-keys.js';
import { writeFrame } from './frame-writer.js';
import type { Frame } from './frames.js';
import { writeLongHeader, writeShortHeader } from './packet-header.js';
import { protectInPlace } from './packet-protection.js';
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

/** The frames of the packet being written; one buffer reused, as packets are written one at a time. */
const scratchBody = new ByteWriter(1500);

/**
 * Writes the header and frames of one packet at the end of `into` (the datagram being built)
 * and applies packet and header protection in place; returns the packet's size. The header
 * goes straight into the datagram and the ciphertext right after it: no per-packet buffers
 * but the cipher's own output.
 */
export function writeProtectedPacket(p: OutgoingPacket, into: ByteWriter): number {
  const body = scratchBody.reset();
  for (const frame of p.frames) writeFrame(body, frame);
  const start = into.length;
  const pnOffset =
    p.space === 'application'
      ? writeShortHeader(into, p.dcid, p.pn, p.pnLength, p.keyPhase ?? 0)
      : writeLongHeader(into, {
          type: p.space,
          profile: p.profile,
          dcid: p.dcid,
          scid: p.scid,
          pn: p.pn,
          pnLength: p.pnLength,
          ...(p.token ? { token: p.token } : {}),
          payloadLength: body.length + 16,
        });
  const headerLength = into.length - start;
  into.claim(body.length + 16);
  // claim() may have moved the buffer: take the view of the whole packet after it.
  const packet = into.view().subarray(start, start + headerLength + body.length + 16);
  protectInPlace(p.keys, packet, pnOffset - start, p.pn, body.view());
  return packet.length;
}
