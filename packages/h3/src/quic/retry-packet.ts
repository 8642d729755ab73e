import { ByteWriter } from './byte-writer.js';
import { retryIntegrityTag } from './crypto/retry-integrity.js';
import type { VersionProfile } from './version.js';

/**
 * A Retry packet: our new connection ID as SCID, the client's SCID as DCID, the token, and the
 * integrity tag over the client's original DCID.
 * @see RFC 9000 §17.2.5, RFC 9001 §5.8
 */
export function retryPacket(
  profile: VersionProfile,
  dcid: Uint8Array,
  scid: Uint8Array,
  token: Uint8Array,
  originalDcid: Uint8Array,
): Uint8Array {
  const w = new ByteWriter(64 + token.length);
  // The four low bits are unused in Retry; random values keep them from being relied on.
  w.u8(0xc0 | (profile.typeBits.retry << 4) | Math.floor(Math.random() * 16));
  w.u32(profile.version);
  w.u8(dcid.length).bytes(dcid);
  w.u8(scid.length).bytes(scid);
  w.bytes(token);
  const withoutTag = w.finish();
  const packet = new Uint8Array(withoutTag.length + 16);
  packet.set(withoutTag);
  packet.set(retryIntegrityTag(profile, originalDcid, withoutTag), withoutTag.length);
  return packet;
}
