import type { SendContext } from './datagram-builder.js';
import type { FrameScheduler } from './frame-scheduler.js';
import type { LossRecovery } from './loss-recovery.js';
import type { MtuProber } from './mtu-prober.js';
import type { PacketSpace } from './packet-space.js';
import type { PeerPath } from './peer-path.js';
import { buildBurst } from './send-burst.js';
import { SendWake } from './send-wake.js';

/** Datagrams one flush sends before it yields to the event loop (the receive side reads then). */
const MAX_DATAGRAMS_PER_FLUSH = 32;

/** What the send path asks of its connection. */
export interface SenderHost {
  readonly isOpen: boolean;
  /** PMTU probes start once the handshake is confirmed (RFC 8899 §5.1.1). */
  readonly isHandshakeConfirmed: boolean;
  readonly spaces: readonly PacketSpace[];
  readonly application: PacketSpace;
  readonly context: SendContext;
  readonly recovery: LossRecovery;
  readonly frames: FrameScheduler;
  readonly path: PeerPath;
  readonly mtu: MtuProber;
  /** Hands a datagram to the endpoint's socket. */
  send(datagram: Uint8Array): void;
  /** Re-arms the connection timer after sending (loss and PTO deadlines moved). */
  armTimer(): void;
  /** A bug in the send path ends this connection, not the process. */
  fail(err: unknown): void;
}

/**
 * A connection's send path: one flush per event-loop turn, a PMTU probe ahead of data, at most
 * 32 datagrams per flush, and a wake-up when the pacer holds data back (RFC 9002 §7.7).
 */
export class ConnectionSender {
  readonly #host: SenderHost;
  readonly #wake = new SendWake(() => this.flush());
  #isFlushScheduled = false;
  /** Bytes of every datagram sent but the CONNECTION_CLOSE one. */
  bytesSent = 0;

  constructor(host: SenderHost) {
    this.#host = host;
  }

  /** Coalesces pending work into one flush per event-loop turn. */
  scheduleFlush(): void {
    if (this.#isFlushScheduled || !this.#host.isOpen) return;
    this.#isFlushScheduled = true;
    queueMicrotask(() => {
      this.#isFlushScheduled = false;
      this.flush();
    });
  }

  flush(): void {
    const host = this.#host;
    if (!host.isOpen) return;
    try {
      // A PMTU probe goes ahead of data, so a full window does not starve it.
      const probe = host.isHandshakeConfirmed
        ? host.mtu.probe(host.context, host.application, host.path.budget, performance.now())
        : undefined;
      if (probe !== undefined) this.#send(probe);
      // Built as one burst (header protection batched), charged to the path and bytesSent.
      const sent = buildBurst(host.context, host.spaces, host.path, MAX_DATAGRAMS_PER_FLUSH, this);
      for (const datagram of sent) host.send(datagram);
      // More may be due: go on after the event loop has read what arrived meanwhile.
      if (sent.length === MAX_DATAGRAMS_PER_FLUSH) this.#wake.schedule(0);
      else if (host.recovery.pacingDelayMs > 0 && this.#hasDataPending())
        this.#wake.schedule(host.recovery.pacingDelayMs);
      host.armTimer();
    } catch (err) {
      host.fail(err);
    }
  }

  /** Stops any pending wake-up (the connection closed). */
  clear(): void {
    this.#wake.clear();
  }

  #hasDataPending(): boolean {
    for (const space of this.#host.spaces) {
      // A resuming client's 0-RTT data is paced too.
      const keys = space.writeKeys ?? space.earlyWriteKeys;
      if (keys !== undefined && this.#host.frames.hasPending(space)) return true;
    }
    return false;
  }

  #send(datagram: Uint8Array): void {
    this.bytesSent += datagram.length;
    this.#host.path.onSent(datagram.length);
    this.#host.send(datagram);
  }
}
