/**
 * TLS defaults of the HTTP/1.1 server (and of `@rws/server`, which uses the same values).
 */

/**
 * Mozilla's "intermediate" server profile for TLS 1.2 without the DHE suites: ECDHE key
 * exchange (forward secrecy) with AEAD ciphers only, so no CBC, no SHA-1 MAC and no RSA key
 * exchange; then the TLS 1.3 suites, which node:tls turns off unless the list names them.
 * @see https://wiki.mozilla.org/Security/Server_Side_TLS
 */
export const DEFAULT_TLS_CIPHERS: string = [
  'TLS_AES_128_GCM_SHA256',
  'TLS_AES_256_GCM_SHA384',
  'TLS_CHACHA20_POLY1305_SHA256',
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
].join(':');

/** How long a TLS client may take to complete its handshake (node's default is 120 s). */
export const DEFAULT_HANDSHAKE_TIMEOUT_MS = 10_000;
