import {
  createECDH,
  createPublicKey,
  diffieHellman,
  generateKeyPairSync,
  type KeyObject,
} from 'node:crypto';
import { cryptoError, TLS_ALERT } from '../../errors.js';

/** Named groups for (EC)DHE. @see RFC 8446 §4.2.7 */
export const GROUP = { X25519: 0x001d, SECP256R1: 0x0017 } as const;

/** The groups we support, preferred first. */
export const SUPPORTED_GROUPS: readonly number[] = [GROUP.X25519, GROUP.SECP256R1];

/** One ephemeral key pair: the public key to send and the shared secret with a peer's. */
export interface KeyShare {
  readonly group: number;
  readonly publicKey: Uint8Array;
  /** The (EC)DH shared secret; a malformed peer key throws QuicError illegal_parameter. */
  sharedSecret(peerPublicKey: Uint8Array): Uint8Array;
}

/** A fresh ephemeral key share for `group` (one of SUPPORTED_GROUPS). */
export function createKeyShare(group: number): KeyShare {
  if (group === GROUP.X25519) return x25519Share();
  if (group === GROUP.SECP256R1) return p256Share();
  throw new RangeError(`unsupported group 0x${group.toString(16)}`);
}

function x25519Share(): KeyShare {
  const { publicKey, privateKey } = generateKeyPairSync('x25519');
  const raw = Buffer.from(publicKey.export({ format: 'jwk' }).x!, 'base64url');
  return {
    group: GROUP.X25519,
    publicKey: raw,
    sharedSecret(peer: Uint8Array): Uint8Array {
      if (peer.length !== 32)
        throw cryptoError(
          TLS_ALERT.ILLEGAL_PARAMETER,
          `an X25519 key share of ${peer.length} bytes`,
        );
      let peerKey: KeyObject;
      try {
        peerKey = createPublicKey({
          key: { kty: 'OKP', crv: 'X25519', x: Buffer.from(peer).toString('base64url') },
          format: 'jwk',
        });
        const secret = diffieHellman({ privateKey, publicKey: peerKey });
        // An all-zero result means a low-order point (RFC 8446 §7.4.2).
        if (secret.every((b) => b === 0)) throw new Error('all-zero shared secret');
        return secret;
      } catch (cause) {
        throw cryptoError(
          TLS_ALERT.ILLEGAL_PARAMETER,
          `the X25519 key share is invalid (${(cause as Error).message})`,
        );
      }
    },
  };
}

function p256Share(): KeyShare {
  const ecdh = createECDH('prime256v1');
  ecdh.generateKeys();
  return {
    group: GROUP.SECP256R1,
    publicKey: ecdh.getPublicKey(),
    sharedSecret(peer: Uint8Array): Uint8Array {
      // Only uncompressed points (0x04 ‖ X ‖ Y) are allowed in TLS 1.3 (RFC 8446 §4.2.8.2).
      if (peer.length !== 65 || peer[0] !== 0x04) {
        throw cryptoError(
          TLS_ALERT.ILLEGAL_PARAMETER,
          'a P-256 key share that is not an uncompressed point',
        );
      }
      try {
        return ecdh.computeSecret(peer);
      } catch (cause) {
        throw cryptoError(
          TLS_ALERT.ILLEGAL_PARAMETER,
          `the P-256 key share is invalid (${(cause as Error).message})`,
        );
      }
    },
  };
}
