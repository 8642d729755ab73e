import { timingSafeEqual } from 'node:crypto';
import { TRANSPORT_ERROR, transportError } from '../errors.js';
import type { Frame } from './frames.js';

/** A connection ID we issue, with the stateless reset token that goes with it. */
export interface IssuedCid {
  readonly cid: Uint8Array;
  readonly resetToken: Uint8Array;
}

/** What the endpoint does for a connection's IDs: make routable ones and forget retired ones. */
export interface CidHost {
  /** A new connection ID routed to this connection, and its reset token. */
  newCid(): IssuedCid;
  /** Stops routing `cid` to this connection. */
  retireCid(cid: Uint8Array): void;
  /** A stateless reset token of the peer now means this connection (or, with false, no longer). */
  peerResetToken(token: Uint8Array, isActive: boolean): void;
}

/** The most of our connection IDs the peer holds at once, whatever its limit allows. */
const MAX_ISSUED = 4;

interface PeerCid {
  readonly cid: Uint8Array;
  readonly resetToken: Uint8Array | undefined;
}

/**
 * Both sets of connection IDs of one connection (RFC 9000 §5.1): the ones we issue with
 * NEW_CONNECTION_ID (up to the peer's active_connection_id_limit, replaced when retired) and
 * the ones the peer issues (bounded by ours, retired on Retire Prior To or when we move to
 * another one). Also the peer's stateless reset tokens, to recognise a reset (§10.3.1).
 */
export class ConnectionIds {
  readonly #host: CidHost;
  readonly #localLimit: number;
  readonly #local = new Map<number, IssuedCid>();
  #nextLocalSeq = 1;
  readonly #peer = new Map<number, PeerCid>();
  #activePeerSeq = 0;
  #retirePriorTo = 0;

  /** `localLimit` is our active_connection_id_limit. */
  constructor(host: CidHost, localCid: Uint8Array, peerCid: Uint8Array, localLimit: number) {
    this.#host = host;
    this.#localLimit = localLimit;
    this.#local.set(0, { cid: localCid, resetToken: new Uint8Array(16) });
    this.#peer.set(0, { cid: peerCid, resetToken: undefined });
  }

  /** The peer's connection ID our packets carry now. */
  get activePeerCid(): Uint8Array {
    return this.#peer.get(this.#activePeerSeq)!.cid;
  }

  /** Connection IDs of ours the peer may use now. */
  get localCount(): number {
    return this.#local.size;
  }

  /** The peer's connection ID of sequence 0 once known (a client learns it from the server's first packet). */
  setFirstPeerCid(cid: Uint8Array, resetToken?: Uint8Array): void {
    const first = this.#peer.get(0);
    if (first === undefined) return;
    this.#peer.set(0, { cid, resetToken: resetToken ?? first.resetToken });
    if (resetToken !== undefined && first.resetToken === undefined)
      this.#host.peerResetToken(resetToken, true);
  }

  /** NEW_CONNECTION_ID frames that bring the peer up to its limit (after the handshake). */
  issue(peerLimit: number): Frame[] {
    const frames: Frame[] = [];
    while (this.#local.size < Math.min(peerLimit, MAX_ISSUED)) {
      const issued = this.#host.newCid();
      const sequence = this.#nextLocalSeq++;
      this.#local.set(sequence, issued);
      frames.push({
        type: 'new_connection_id',
        sequence,
        retirePriorTo: 0,
        connectionId: issued.cid,
        resetToken: issued.resetToken,
      });
    }
    return frames;
  }

  /**
   * The peer retired one of our IDs: stop routing it and issue a replacement.
   * @see RFC 9000 §19.16
   */
  onRetire(sequence: number, packetDcid: Uint8Array | undefined, peerLimit: number): Frame[] {
    if (sequence >= this.#nextLocalSeq)
      throw transportError(
        TRANSPORT_ERROR.PROTOCOL_VIOLATION,
        `RETIRE_CONNECTION_ID for sequence ${sequence}, never issued`,
        0x19,
      );
    const retired = this.#local.get(sequence);
    if (retired === undefined) return [];
    if (packetDcid !== undefined && sameBytes(retired.cid, packetDcid))
      throw transportError(
        TRANSPORT_ERROR.PROTOCOL_VIOLATION,
        'RETIRE_CONNECTION_ID retires the connection ID of its own packet',
        0x19,
      );
    this.#local.delete(sequence);
    this.#host.retireCid(retired.cid);
    return this.issue(peerLimit);
  }

  /**
   * A NEW_CONNECTION_ID from the peer; returns the RETIRE_CONNECTION_ID frames it makes us send
   * (Retire Prior To), moving to a newer ID when the active one is retired.
   * @see RFC 9000 §5.1.2, §19.15
   */
  onNewConnectionId(frame: Frame & { type: 'new_connection_id' }): Frame[] {
    const known = this.#peer.get(frame.sequence);
    if (known !== undefined) {
      if (!sameBytes(known.cid, frame.connectionId))
        throw transportError(
          TRANSPORT_ERROR.PROTOCOL_VIOLATION,
          `sequence ${frame.sequence} came with two connection IDs`,
          0x18,
        );
      return [];
    }
    const retire: Frame[] = [];
    if (frame.sequence < this.#retirePriorTo) {
      // Already retired by an earlier Retire Prior To: retire it at once (§19.15).
      retire.push({ type: 'retire_connection_id', sequence: frame.sequence });
      return retire;
    }
    this.#peer.set(frame.sequence, { cid: frame.connectionId, resetToken: frame.resetToken });
    this.#host.peerResetToken(frame.resetToken, true);
    if (frame.retirePriorTo > this.#retirePriorTo) {
      this.#retirePriorTo = frame.retirePriorTo;
      for (const sequence of [...this.#peer.keys()]) {
        if (sequence >= this.#retirePriorTo) continue;
        this.#forgetPeer(sequence);
        retire.push({ type: 'retire_connection_id', sequence });
      }
      if (!this.#peer.has(this.#activePeerSeq)) this.#activePeerSeq = this.#lowestUnused();
    }
    if (this.#peer.size > this.#localLimit)
      throw transportError(
        TRANSPORT_ERROR.CONNECTION_ID_LIMIT_ERROR,
        `the peer issued more than ${this.#localLimit} connection IDs`,
        0x18,
      );
    return retire;
  }

  /**
   * Moves to an unused peer connection ID (a new path must not be linkable to the old one,
   * RFC 9000 §9.5) and returns the RETIRE_CONNECTION_ID for the old one; undefined when the
   * peer gave us no spare ID.
   */
  rotatePeerCid(): Frame | undefined {
    const next = this.#lowestUnused();
    if (next === this.#activePeerSeq) return undefined;
    const old = this.#activePeerSeq;
    this.#forgetPeer(old);
    this.#activePeerSeq = next;
    return { type: 'retire_connection_id', sequence: old };
  }

  /** Whether `tail` (a datagram's last 16 bytes) is one of the peer's stateless reset tokens. */
  isStatelessReset(tail: Uint8Array): boolean {
    for (const { resetToken } of this.#peer.values())
      if (resetToken !== undefined && timingSafeEqual(resetToken, tail)) return true;
    return false;
  }

  #forgetPeer(sequence: number): void {
    const token = this.#peer.get(sequence)?.resetToken;
    this.#peer.delete(sequence);
    if (token !== undefined) this.#host.peerResetToken(token, false);
  }

  #lowestUnused(): number {
    let best = this.#activePeerSeq;
    for (const sequence of this.#peer.keys())
      if (sequence !== this.#activePeerSeq && (best === this.#activePeerSeq || sequence < best))
        best = sequence;
    return this.#peer.has(this.#activePeerSeq) ? best : Math.min(...this.#peer.keys());
  }
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && a.every((v, i) => v === b[i]);
}
