import { ByteWriter } from './byte-writer.js';
import type { PacketKeys } from './crypto/packet-keys.js';
import { writeFrame } from './frame-writer.js';
import type { Frame } from './frames.js';
import { writeLongHeader, writeShortHeader } from './packet-header.js';
import { protectPacket } from './packet-protection.js';
import type { SpaceName } from './packet-space.js';
import { varintLength } from './varint.js';
import type { VersionProfile } from './version.js';

/** Everything needed to write one protected packet. */
export interface OutgoingPacket {
  readonly space: SpaceName;
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
 * Bytes of the header a packet in `space` takes: long headers for Initial (with its token) and
 * Handshake, short headers for 1-RTT. The Length field is always 2 bytes.
 */
export function packetHeaderLength(
  space: SpaceName,
  dcidLength: number,
  scidLength: number,
  pnLength: number,
  tokenLength = 0,
): number {
  if (space === 'application') return 1 + dcidLength + pnLength;
  const tokenBytes = space === 'initial' ? varintLength(tokenLength) + tokenLength : 0;
  return 1 + 4 + 1 + dcidLength + 1 + scidLength + tokenBytes + 2 + pnLength;
}

/** Writes the header and frames of one packet and applies packet and header protection. */
export function writeProtectedPacket(p: OutgoingPacket): Uint8Array {
  const body = new ByteWriter(1200);
  for (const frame of p.frames) writeFrame(body, frame);
  const header = new ByteWriter(64);
  const pnOffset =
    p.space === 'application'
      ? writeShortHeader(header, p.dcid, p.pn, p.pnLength, p.keyPhase ?? 0)
      : writeLongHeader(header, {
          type: p.space,
          profile: p.profile,
          dcid: p.dcid,
          scid: p.scid,
          pn: p.pn,
          pnLength: p.pnLength,
          ...(p.token ? { token: p.token } : {}),
          payloadLength: body.length + 16,
        });
  return protectPacket(p.keys, header.view(), pnOffset, p.pn, body.view());
}
