import { buildProbeDatagram, type SendContext } from './datagram-builder.js';
import type { LossRecovery } from './loss-recovery.js';
import { BASE_DATAGRAM, MtuDiscovery } from './mtu-discovery.js';
import type { PacketSpace, SentPacket } from './packet-space.js';
import type { QlogTrace } from './qlog.js';

/**
 * A connection's side of PMTU discovery: builds the probes MtuDiscovery asks for, feeds it
 * their fate, and restarts the search after persistent congestion (a black hole for large
 * datagrams looks just like it).
 * @see RFC 8899 §4.3, RFC 9000 §14.3
 */
export class MtuProber {
  readonly #discovery: MtuDiscovery;
  readonly #recovery: LossRecovery;
  readonly #qlog: QlogTrace | undefined;
  #peerMax = BASE_DATAGRAM;
  #persistentCongestionsSeen = 0;

  constructor(localMax: number, recovery: LossRecovery, qlog: QlogTrace | undefined) {
    this.#discovery = new MtuDiscovery(localMax);
    this.#recovery = recovery;
    this.#qlog = qlog;
  }

  /** The largest datagram the path is known to carry. */
  get current(): number {
    return this.#discovery.current;
  }

  /** The peer's max_udp_payload_size arrived. */
  setPeerMax(peerMax: number): void {
    this.#peerMax = peerMax;
    this.#discovery.setPeerMax(peerMax);
  }

  /**
   * The probe datagram to send now in `space`, if one is due and fits the window and the
   * path's amplification `budget`; sent ahead of data so a full window does not starve it.
   */
  probe(ctx: SendContext, space: PacketSpace, budget: number, now: number): Uint8Array | undefined {
    const size = this.#discovery.nextProbe;
    if (size === undefined || space.writeKeys === undefined) return undefined;
    if (this.#recovery.cc.available < size || budget < size) return undefined;
    this.#discovery.onProbeSent(size);
    return buildProbeDatagram(ctx, space, size, now);
  }

  onAcked(packet: SentPacket): void {
    if (!packet.isMtuProbe) return;
    const old = this.#discovery.current;
    this.#discovery.onProbeAcked(packet.size);
    const { current, isDone } = this.#discovery;
    if (current !== old) this.#qlog?.event('mtu_updated', { old, new: current, done: isDone });
  }

  /** A packet was lost or timed out: for a probe, its size failed once more. */
  onLost(packet: SentPacket): void {
    if (packet.isMtuProbe) this.#discovery.onProbeLost(packet.size);
  }

  /** After ACK or timer processing: new persistent congestion restarts the search from 1200. */
  afterRecovery(): void {
    if (this.#recovery.persistentCongestions <= this.#persistentCongestionsSeen) return;
    this.#persistentCongestionsSeen = this.#recovery.persistentCongestions;
    this.#discovery.reset(this.#peerMax);
  }
}
