/**
 * The TLS settings every `https` suite target pins (nginx gets the same in its config): TLS 1.3
 * only, with the one suite TLS_AES_128_GCM_SHA256, so every server encrypts with the same
 * cipher and no peer wins by negotiating a cheaper one.
 */
import { readFileSync } from 'node:fs';

export const PINNED_CIPHER = 'TLS_AES_128_GCM_SHA256';

/** node:tls options from TLS_CERT_FILE/TLS_KEY_FILE with the pinned version and cipher. */
export function pinnedTlsOptions(): {
  cert: Buffer;
  key: Buffer;
  ciphers: string;
  minVersion: 'TLSv1.3';
} {
  return {
    cert: readFileSync(process.env['TLS_CERT_FILE']!),
    key: readFileSync(process.env['TLS_KEY_FILE']!),
    ciphers: PINNED_CIPHER,
    minVersion: 'TLSv1.3',
  };
}
