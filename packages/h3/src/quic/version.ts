/**
 * What differs between QUIC versions 1 and 2: the version number, the long-header type bits,
 * the Initial salt, the HKDF labels and the Retry integrity key. Everything else is shared.
 * @see RFC 9001 §5.2, §5.8 and RFC 9369 §3
 */
import { createSecretKey, type KeyObject } from 'node:crypto';

/** QUIC version 1 (RFC 9000). */
export const QUIC_V1 = 0x00000001;
/** QUIC version 2 (RFC 9369). */
export const QUIC_V2 = 0x6b3343cf;

/** The four long-header packet types, by meaning (their bits differ by version). */
export type LongPacketType = 'initial' | '0rtt' | 'handshake' | 'retry';

/** The per-version constants packet protection and header coding need. */
export interface VersionProfile {
  readonly version: number;
  readonly initialSalt: Uint8Array;
  /** HKDF labels for packet key, IV, header protection key and key update. */
  readonly labels: {
    readonly key: string;
    readonly iv: string;
    readonly hp: string;
    readonly ku: string;
  };
  /** AES-128-GCM key (a KeyObject: raw bytes make node 24's createCipheriv build and drop two TypeErrors per call) and nonce of the Retry integrity tag. */
  readonly retryKey: KeyObject;
  readonly retryNonce: Uint8Array;
  /** Long-header type field value (0..3) for each packet type. */
  readonly typeBits: Readonly<Record<LongPacketType, number>>;
  /** Packet type for each type field value. */
  readonly typeOfBits: readonly [LongPacketType, LongPacketType, LongPacketType, LongPacketType];
}

const hex = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'hex'));

const V1: VersionProfile = {
  version: QUIC_V1,
  initialSalt: hex('38762cf7f55934b34d179ae6a4c80cadccbb7f0a'),
  labels: { key: 'quic key', iv: 'quic iv', hp: 'quic hp', ku: 'quic ku' },
  retryKey: createSecretKey(hex('be0c690b9f66575a1d766b54e368c84e')),
  retryNonce: hex('461599d35d632bf2239825bb'),
  typeBits: { initial: 0, '0rtt': 1, handshake: 2, retry: 3 },
  typeOfBits: ['initial', '0rtt', 'handshake', 'retry'],
};

const V2: VersionProfile = {
  version: QUIC_V2,
  initialSalt: hex('0dede3def700a6db819381be6e269dcbf9bd2ed9'),
  labels: { key: 'quicv2 key', iv: 'quicv2 iv', hp: 'quicv2 hp', ku: 'quicv2 ku' },
  retryKey: createSecretKey(hex('8fb4b01b56ac48e260fbcbcead7ccc92')),
  retryNonce: hex('d86969bc2d7c6d9990efb04a'),
  typeBits: { initial: 1, '0rtt': 2, handshake: 3, retry: 0 },
  typeOfBits: ['retry', 'initial', '0rtt', 'handshake'],
};

/** The versions this implementation speaks, preferred first. */
export const SUPPORTED_VERSIONS: readonly number[] = [QUIC_V1, QUIC_V2];

/** The profile of a supported version, or undefined (the caller sends Version Negotiation). */
export function versionProfile(version: number): VersionProfile | undefined {
  if (version === QUIC_V1) return V1;
  if (version === QUIC_V2) return V2;
  return undefined;
}
