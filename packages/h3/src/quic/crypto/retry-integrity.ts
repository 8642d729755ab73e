import { createCipheriv, timingSafeEqual } from 'node:crypto';
import type { VersionProfile } from '../version.js';

/**
 * The Retry Integrity Tag: AES-128-GCM with a fixed key over the Retry pseudo-packet (the
 * original DCID, length-prefixed, then the Retry packet without its tag). It proves the Retry
 * came from something that saw the client's Initial.
 * @see RFC 9001 §5.8
 */
export function retryIntegrityTag(
  profile: VersionProfile,
  originalDcid: Uint8Array,
  retryWithoutTag: Uint8Array,
): Uint8Array {
  const pseudo = new Uint8Array(1 + originalDcid.length + retryWithoutTag.length);
  pseudo[0] = originalDcid.length;
  pseudo.set(originalDcid, 1);
  pseudo.set(retryWithoutTag, 1 + originalDcid.length);
  const cipher = createCipheriv('aes-128-gcm', profile.retryKey, profile.retryNonce);
  cipher.setAAD(pseudo);
  cipher.final();
  return cipher.getAuthTag();
}

/** Whether a received Retry packet's last 16 bytes are the right tag. */
export function verifyRetryIntegrity(
  profile: VersionProfile,
  originalDcid: Uint8Array,
  retry: Uint8Array,
): boolean {
  if (retry.length < 16) return false;
  const expected = retryIntegrityTag(profile, originalDcid, retry.subarray(0, retry.length - 16));
  return timingSafeEqual(expected, retry.subarray(retry.length - 16));
}
