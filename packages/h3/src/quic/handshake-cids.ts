import { TRANSPORT_ERROR, transportError } from '../errors.js';
import { deriveInitialKeys } from './crypto/initial-secrets.js';
import type { LossRecovery } from './loss-recovery.js';
import type { PacketSpace } from './packet-space.js';
import type { TransportParameters } from './transport-parameters.js';
import type { VersionProfile } from './version.js';

/** The connection IDs a handshake used, as this side saw them in packets. */
export interface HandshakeCids {
  readonly isClient: boolean;
  /** The SCID of the peer's first packets. */
  readonly peerScid: Uint8Array;
  /** The DCID of the client's first Initial. */
  readonly originalDcid: Uint8Array;
  /** A client: the SCID of the Retry it followed. */
  readonly retrySourceCid: Uint8Array | undefined;
}

/**
 * Authenticates the connection IDs of the handshake against the peer's transport parameters,
 * so an attacker cannot have changed them (RFC 9000 §7.3): TRANSPORT_PARAMETER_ERROR otherwise.
 */
export function checkHandshakeCids(peer: TransportParameters, seen: HandshakeCids): void {
  const fail = (message: string) =>
    transportError(TRANSPORT_ERROR.TRANSPORT_PARAMETER_ERROR, message);
  if (!sameBytes(peer.initialSourceConnectionId, seen.peerScid))
    throw fail('initial_source_connection_id does not match the packets');
  if (!seen.isClient) return;
  if (!sameBytes(peer.originalDestinationConnectionId, seen.originalDcid))
    throw fail('original_destination_connection_id does not match our Initial');
  const retry = peer.retrySourceConnectionId;
  const isRetryMatch =
    retry === undefined
      ? seen.retrySourceCid === undefined
      : seen.retrySourceCid !== undefined && sameBytes(retry, seen.retrySourceCid);
  if (!isRetryMatch) throw fail('retry_source_connection_id does not match the Retry');
}

/**
 * A client follows a Retry (RFC 9000 §17.2.5.2): new Initial keys from the Retry's SCID, and
 * every CRYPTO frame sent so far queued again in order (packet numbers continue; the old
 * packets leave the congestion window without counting as lost).
 */
export function restartInitial(
  initial: PacketSpace,
  recovery: LossRecovery,
  profile: VersionProfile,
  retryScid: Uint8Array,
): void {
  const keys = deriveInitialKeys(profile, retryScid);
  initial.readKeys = keys.server;
  initial.writeKeys = keys.client;
  // In packet number order.
  const sent = initial.sent.takeAll();
  initial.lossTime = Number.POSITIVE_INFINITY;
  recovery.onDiscarded(sent);
  initial.cryptoPending.unshift(
    ...sent.flatMap((p) => p.frames.filter((f) => f.type === 'crypto')),
  );
}

/** Byte-wise equality; an absent value equals nothing. */
export function sameBytes(a: Uint8Array | undefined, b: Uint8Array): boolean {
  return a !== undefined && a.length === b.length && a.every((v, i) => v === b[i]);
}
