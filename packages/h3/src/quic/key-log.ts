import { appendFileSync } from 'node:fs';
import type { SecretLevel } from './tls/tls-types.js';

/** Receives one line of the NSS key log format (without the newline). */
export type KeyLogger = (line: string) => void;

/**
 * The NSS key log label of a TLS 1.3 traffic secret: which side's secret, at which level.
 * Key updates are not logged: Wireshark derives the later phases itself.
 * @see https://www.ietf.org/archive/id/draft-ietf-tls-keylogfile-02.html
 */
function keyLogLabel(level: SecretLevel, isClientSecret: boolean): string {
  if (level === 'early') return 'CLIENT_EARLY_TRAFFIC_SECRET';
  const side = isClientSecret ? 'CLIENT' : 'SERVER';
  return level === 'handshake' ? `${side}_HANDSHAKE_TRAFFIC_SECRET` : `${side}_TRAFFIC_SECRET_0`;
}

/** Whether the secret `role` installs for `direction` is the client's: a client writes with it, a server reads with it. */
export function isClientTrafficSecret(
  role: 'client' | 'server',
  direction: 'read' | 'write',
): boolean {
  return (role === 'client') === (direction === 'write');
}

/** `<label> <ClientHello.random hex> <secret hex>` for one traffic secret. */
export function keyLogLine(
  level: SecretLevel,
  isClientSecret: boolean,
  clientRandom: Uint8Array,
  secret: Uint8Array,
): string {
  const label = keyLogLabel(level, isClientSecret);
  return `${label} ${Buffer.from(clientRandom).toString('hex')} ${Buffer.from(secret).toString('hex')}`;
}

/**
 * A logger appending to `path` (created owner-only: the file holds every session's keys), as
 * the SSLKEYLOGFILE convention of OpenSSL, NSS and curl does, so Wireshark or tshark can
 * decrypt captures. A failing write (a missing folder, a full disk) warns once and is
 * otherwise ignored: key logging is a debugging aid and must never break a connection.
 */
export function fileKeyLogger(path: string): KeyLogger {
  let hasWarned = false;
  return (line) => {
    try {
      appendFileSync(path, `${line}\n`, { mode: 0o600 });
    } catch (err) {
      if (hasWarned) return;
      hasWarned = true;
      process.emitWarning(`cannot append TLS keys to ${path}: ${(err as Error).message}`);
    }
  };
}
