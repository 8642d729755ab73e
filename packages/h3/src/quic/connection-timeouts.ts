// The idle timeout and the loss/PTO deadlines of one connection, on its single timer, apart from the protocol steps.
import { ERROR_CODES, QuicError } from '../errors.js';
import type { ConnectionParts } from './connection-adapters.js';
import { ConnectionTimer, effectiveIdleTimeout } from './connection-timer.js';
import type { PacketSpace, SentPacket } from './packet-space.js';

/** What the timeouts do to their connection. */
export interface TimeoutHooks {
  /** Whether the TLS handshake is complete. */
  isTlsComplete(): boolean;
  /** Ends the connection without sending anything. */
  finish(error: QuicError, isClean: boolean): void;
  /** Sends a lost (or probe-timed-out) packet's frames again. */
  requeue(space: PacketSpace, packet: SentPacket): void;
  afterRecovery(): void;
  flush(): void;
}

/** One connection's timeouts: idle (RFC 9000 §10.1), loss detection and PTO (RFC 9002 §6). */
export class ConnectionTimeouts {
  readonly #timer = new ConnectionTimer(() => this.#onTimer());
  readonly #parts: ConnectionParts;
  readonly #hooks: TimeoutHooks;

  constructor(parts: ConnectionParts, hooks: TimeoutHooks) {
    this.#parts = parts;
    this.#hooks = hooks;
  }

  /** Activity: the idle timeout starts over. */
  touchIdle(): void {
    const { config, live, recovery } = this.#parts;
    const local = config.localParameters.maxIdleTimeout;
    const timeoutMs =
      live.peer === undefined ? local : effectiveIdleTimeout(local, live.peer.maxIdleTimeout);
    this.#timer.touchIdle(timeoutMs, 3 * recovery.rtt.pto(0));
  }

  /** The probe timeout without backoff, including the peer's max_ack_delay. */
  pto(): number {
    return this.#parts.recovery.rtt.pto(this.#parts.live.peer?.maxAckDelay ?? 25);
  }

  /** Sets the timer to the next loss or PTO deadline. */
  arm(): void {
    const { live, recovery, spaceList } = this.#parts;
    if (live.state !== 'open') return;
    this.#timer.arm(
      recovery.nextDeadline(spaceList, live.peer?.maxAckDelay ?? 25, this.#keepProbingSpace()),
    );
  }

  clear(): void {
    this.#timer.clear();
  }

  /**
   * A client whose handshake is unfinished keeps probing even with nothing in flight, so the
   * server can get out of its amplification limit (RFC 9002 §6.2.2.1).
   */
  #keepProbingSpace(): PacketSpace | undefined {
    if (this.#parts.config.role !== 'client' || this.#hooks.isTlsComplete()) return undefined;
    const hs = this.#parts.spaces.handshake;
    return hs.writeKeys !== undefined && !hs.isDiscarded ? hs : this.#parts.spaces.initial;
  }

  #onTimer(): void {
    const { live, recovery, spaceList } = this.#parts;
    if (live.state !== 'open') return;
    const now = performance.now();
    if (this.#timer.isIdleAt(now)) {
      this.#hooks.finish(
        new QuicError(
          ERROR_CODES.IDLE_TIMEOUT,
          'the QUIC connection was idle longer than its timeout',
          0,
        ),
        false,
      );
      return;
    }
    recovery.onTimer(
      spaceList,
      now,
      live.peer?.maxAckDelay ?? 25,
      this.#keepProbingSpace(),
      (space, packet) => this.#hooks.requeue(space, packet),
    );
    this.#hooks.afterRecovery();
    this.#hooks.flush();
  }
}
