// The views a connection hands its send path, sender and frame handlers, built here so QuicConnection keeps only the protocol steps.
import type { ConnectionConfig, ConnectionStats } from './connection-config.js';
import type { ConnectionIds } from './connection-ids.js';
import { ConnectionSender, type SenderHost } from './connection-sender.js';
import type { SendContext } from './datagram-builder.js';
import type { FrameHost } from './frame-dispatch.js';
import type { FrameScheduler } from './frame-scheduler.js';
import type { KeyUpdate } from './key-update.js';
import type { LossRecovery } from './loss-recovery.js';
import type { MtuProber } from './mtu-prober.js';
import type { PacketSpace, SpaceName } from './packet-space.js';
import type { PeerPath } from './peer-path.js';
import type { StreamSet } from './stream-set.js';
import type { TransportParameters } from './transport-parameters.js';
import type { ConnectionVersion } from './version-negotiation.js';

/** The connection's fields that change after construction, shared with the views below. */
export interface LiveState {
  /** The connection ID the peer currently wants in our packets' DCID. */
  remoteCid: Uint8Array;
  /** The token our Initial packets carry (from a Retry or NEW_TOKEN; else empty). */
  token: Uint8Array;
  keyUpdate: KeyUpdate;
  state: 'open' | 'closed';
  isHandshakeConfirmed: boolean;
  /** The DCID of the packet being processed (RETIRE_CONNECTION_ID may not name it). */
  packetDcid: Uint8Array | undefined;
  /** The peer's transport parameters, once they arrived. */
  peer: TransportParameters | undefined;
}

/** The parts of one connection the views read. */
export interface ConnectionParts {
  readonly config: ConnectionConfig;
  readonly live: LiveState;
  readonly version: ConnectionVersion;
  readonly recovery: LossRecovery;
  readonly frames: FrameScheduler;
  readonly streams: StreamSet;
  readonly path: PeerPath;
  readonly ids: ConnectionIds;
  readonly mtu: MtuProber;
  readonly spaces: Readonly<Record<SpaceName, PacketSpace>>;
  /** The spaces in datagram order. */
  readonly spaceList: readonly PacketSpace[];
}

/** What the send path reads from the connection; getters, because the values change. */
export function makeSendContext(
  parts: ConnectionParts,
  onSealed: SendContext['onSealed'],
): SendContext {
  const { live, version, mtu } = parts;
  return {
    role: parts.config.role,
    get profile() {
      return version.profile;
    },
    localCid: parts.config.localCid,
    get remoteCid() {
      return live.remoteCid;
    },
    get token() {
      return live.token;
    },
    get maxDatagramSize() {
      return mtu.current;
    },
    get keyPhase() {
      return live.keyUpdate.keyPhase;
    },
    recovery: parts.recovery,
    frames: parts.frames,
    onSealed,
  };
}

/** The connection's send path over `context`. */
export function makeSender(
  parts: ConnectionParts,
  context: SendContext,
  hooks: Pick<SenderHost, 'armTimer' | 'fail'>,
): ConnectionSender {
  const { live } = parts;
  return new ConnectionSender({
    get isOpen() {
      return live.state === 'open';
    },
    get isHandshakeConfirmed() {
      return live.isHandshakeConfirmed;
    },
    spaces: parts.spaceList,
    application: parts.spaces.application,
    context,
    recovery: parts.recovery,
    frames: parts.frames,
    path: parts.path,
    mtu: parts.mtu,
    send: (datagram) => parts.config.send(datagram),
    armTimer: hooks.armTimer,
    fail: hooks.fail,
  });
}

/** What the frame handlers reach: the parts, and the connection's own steps in `steps`. */
export function makeFrameHost(
  parts: ConnectionParts,
  steps: Pick<
    FrameHost,
    'onAck' | 'onCryptoData' | 'afterTlsProgress' | 'confirmHandshake' | 'finish'
  >,
): FrameHost {
  const { live, ids } = parts;
  return {
    role: parts.config.role,
    streams: parts.streams,
    control: parts.frames.control,
    path: parts.path,
    ids,
    get packetDcid() {
      return live.packetDcid;
    },
    get peerCidLimit() {
      return live.peer?.activeConnectionIdLimit ?? 2;
    },
    onAck: steps.onAck,
    onCryptoData: steps.onCryptoData,
    afterTlsProgress: steps.afterTlsProgress,
    confirmHandshake: steps.confirmHandshake,
    onNewToken: (token) => parts.config.onNewToken?.(token),
    onPeerCidsChanged: () => {
      live.remoteCid = ids.activePeerCid;
    },
    finish: steps.finish,
  };
}

/** A snapshot of the connection's counters; `counted` are the ones the connection keeps itself. */
export function connectionStats(
  parts: ConnectionParts,
  counted: { readonly bytesReceived: number; readonly packetsSent: number },
  bytesSent: number,
): ConnectionStats {
  const { recovery } = parts;
  return {
    smoothedRttMs: recovery.rtt.smoothed,
    receiveWindow: parts.streams.receiveWindow,
    congestionWindow: recovery.cc.cwnd,
    congestionControl: recovery.cc.name,
    congestionEvents: recovery.cc.congestionEvents,
    packetsLost: recovery.packetsLost,
    persistentCongestions: recovery.persistentCongestions,
    keyUpdates: parts.live.keyUpdate.updates,
    maxDatagramSize: parts.mtu.current,
    pathsValidated: parts.path.validations,
    ...counted,
    bytesSent,
  };
}
