import type { HashName } from './hkdf.js';

/**
 * The three TLS 1.3 cipher suites QUIC uses, with what packet and header protection need.
 * @see RFC 9001 §5.3, §5.4
 */
export interface CipherSuite {
  /** TLS code point. */
  readonly code: number;
  readonly name: string;
  readonly hash: HashName;
  /** node:crypto AEAD algorithm name. */
  readonly aead: 'aes-128-gcm' | 'aes-256-gcm' | 'chacha20-poly1305';
  readonly keyLength: number;
  /** Header protection: AES-ECB of the key size, or ChaCha20. */
  readonly hp: 'aes-128-ecb' | 'aes-256-ecb' | 'chacha20';
}

/** TLS_AES_128_GCM_SHA256 (mandatory; Initial packets always use it). */
export const TLS_AES_128_GCM_SHA256: CipherSuite = {
  code: 0x1301,
  name: 'TLS_AES_128_GCM_SHA256',
  hash: 'sha256',
  aead: 'aes-128-gcm',
  keyLength: 16,
  hp: 'aes-128-ecb',
};

/** TLS_AES_256_GCM_SHA384. */
export const TLS_AES_256_GCM_SHA384: CipherSuite = {
  code: 0x1302,
  name: 'TLS_AES_256_GCM_SHA384',
  hash: 'sha384',
  aead: 'aes-256-gcm',
  keyLength: 32,
  hp: 'aes-256-ecb',
};

/** TLS_CHACHA20_POLY1305_SHA256. */
export const TLS_CHACHA20_POLY1305_SHA256: CipherSuite = {
  code: 0x1303,
  name: 'TLS_CHACHA20_POLY1305_SHA256',
  hash: 'sha256',
  aead: 'chacha20-poly1305',
  keyLength: 32,
  hp: 'chacha20',
};

/** Every suite, in our order of preference. */
export const CIPHER_SUITES: readonly CipherSuite[] = [
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
];
