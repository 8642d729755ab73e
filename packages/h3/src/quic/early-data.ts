import { TRANSPORT_ERROR, transportError } from '../errors.js';
import type { PacketKeys } from './crypto/packet-keys.js';
import type { FrameScheduler } from './frame-scheduler.js';
import type { LossRecovery } from './loss-recovery.js';
import type { LongHeader, ShortHeader } from './packet-header.js';
import { type OpenedPacket, unprotectPacket } from './packet-protection.js';
import type { PacketSpace } from './packet-space.js';
import type { SessionTicket } from './tls/session-ticket.js';
import { decodeTransportParameters, type TransportParameters } from './transport-parameters.js';

/**
 * 0-RTT in QUIC (RFC 9001 §4.6): a client resuming a session sends stream data in 0-RTT
 * packets before the handshake completes, protected with keys from the ticket's PSK. They
 * share the application packet number space with 1-RTT packets (RFC 9000 §12.3), so the keys
 * live next to that space's 1-RTT keys and are dropped once 1-RTT keys take over.
 */

/** Installs the 0-RTT keys: a client writes with them, a server reads with them. */
export function installEarlyKeys(
  space: PacketSpace,
  direction: 'read' | 'write',
  keys: PacketKeys,
): void {
  if (direction === 'read') space.earlyReadKeys = keys;
  else space.earlyWriteKeys = keys;
}

/**
 * 1-RTT keys replace 0-RTT ones (RFC 9001 §4.9.3): a client sends no more 0-RTT once it can
 * send 1-RTT; a server drops its 0-RTT read keys once 1-RTT packets from the client can be
 * read (0-RTT packets reordered behind those are lost, and the client sends their data again).
 */
export function dropEarlyKeys(space: PacketSpace, direction: 'read' | 'write'): void {
  if (direction === 'read') space.earlyReadKeys = undefined;
  else space.earlyWriteKeys = undefined;
}

/** Opens a 0-RTT packet (a server with 0-RTT keys); null when it is dropped. */
export function openEarly(
  space: PacketSpace,
  buf: Uint8Array,
  header: LongHeader | ShortHeader,
): OpenedPacket | null {
  const keys = space.earlyReadKeys;
  if (keys === undefined) return null;
  const opened = unprotectPacket(
    keys,
    buf,
    header.start,
    header.pnOffset,
    header.end,
    space.acks.largest,
  );
  if (opened === null || space.acks.has(opened.pn)) return null;
  return opened;
}

/**
 * The server rejected our 0-RTT (RFC 9001 §4.6.2): every packet in flight in the application
 * space was 0-RTT (no 1-RTT keys existed yet), so all of them count as lost at once and their
 * frames go out again in 1-RTT packets. They leave the congestion window's bytes in flight
 * without counting as a congestion signal.
 */
export function resendRejectedEarlyData(
  space: PacketSpace,
  recovery: LossRecovery,
  frames: FrameScheduler,
): void {
  space.earlyWriteKeys = undefined;
  const dropped = space.sent.takeAll();
  space.probed = [];
  space.lossTime = Number.POSITIVE_INFINITY;
  recovery.onDiscarded(dropped);
  for (const packet of dropped) frames.requeue(space, packet);
}

/** The limits 0-RTT data may have used, which a server accepting it must not lower. */
const REMEMBERED_LIMITS = [
  'activeConnectionIdLimit',
  'initialMaxData',
  'initialMaxStreamDataBidiLocal',
  'initialMaxStreamDataBidiRemote',
  'initialMaxStreamDataUni',
  'initialMaxStreamsBidi',
  'initialMaxStreamsUni',
] as const;

/**
 * A client whose 0-RTT was accepted checks the server's new transport parameters against the
 * remembered ones (RFC 9000 §7.4.1): a lower limit is PROTOCOL_VIOLATION.
 */
export function checkRememberedLimits(
  remembered: TransportParameters,
  current: TransportParameters,
): void {
  for (const name of REMEMBERED_LIMITS) {
    if (current[name] < remembered[name])
      throw transportError(
        TRANSPORT_ERROR.PROTOCOL_VIOLATION,
        `the server accepted 0-RTT but lowered ${name} from ${remembered[name]} to ${current[name]}`,
      );
  }
}

/**
 * The server limits a 0-RTT attempt starts with, remembered in its ticket (RFC 9000 §7.4.1):
 * none without `earlyData` or with a ticket that allows no early data.
 */
export function rememberedLimits(
  ticket: SessionTicket | undefined,
  isEarlyData: boolean,
): { rememberedParameters?: TransportParameters } {
  if (!isEarlyData || ticket?.transportParameters === undefined || ticket.maxEarlyData === 0)
    return {};
  return { rememberedParameters: decodeTransportParameters(ticket.transportParameters, 'server') };
}
