// The peer's transport parameters taken into a connection once the handshake delivers them.
import type { ConnectionParts } from './connection-adapters.js';
import { checkRememberedLimits } from './early-data.js';
import { checkHandshakeCids } from './handshake-cids.js';
import type { QlogTrace } from './qlog.js';
import type { TransportParameters } from './transport-parameters.js';

/**
 * Checks the peer's transport parameters (the connection IDs of the handshake, RFC 9000 §7.3;
 * a client's remembered 0-RTT limits, §7.4.1; the server's version information, RFC 9368)
 * and applies them to the connection's parts.
 */
export function applyPeerParameters(
  parts: ConnectionParts,
  peer: TransportParameters,
  handshake: {
    readonly retrySourceCid: Uint8Array | undefined;
    readonly isEarlyDataAccepted: boolean;
    readonly qlog: QlogTrace | undefined;
  },
): void {
  const { config, live } = parts;
  const isClient = config.role === 'client';
  checkHandshakeCids(peer, {
    isClient,
    peerScid: live.remoteCid,
    originalDcid: config.originalDcid,
    retrySourceCid: handshake.retrySourceCid,
  });
  if (isClient) {
    parts.version.checkServer(peer.versionInformation);
    const remembered = config.rememberedParameters;
    if (remembered && handshake.isEarlyDataAccepted) checkRememberedLimits(remembered, peer);
  }
  live.peer = peer;
  parts.mtu.setPeerMax(peer.maxUdpPayloadSize);
  handshake.qlog?.parametersSet('remote', peer);
  if (isClient) parts.ids.setFirstPeerCid(live.remoteCid, peer.statelessResetToken);
  parts.streams.setPeer(peer);
}
