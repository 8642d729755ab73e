import { ByteWriter } from './byte-writer.js';
import type { PacketKeys } from './crypto/packet-keys.js';
import { datagramBuffer } from './datagram-slab.js';
import type { FrameScheduler } from './frame-scheduler.js';
import { frameSize } from './frame-writer.js';
import { type Frame, isAckEliciting } from './frames.js';
import type { LossRecovery } from './loss-recovery.js';
import { BASE_DATAGRAM } from './mtu-discovery.js';
import { packetNumberLength } from './packet-number.js';
import type { HeaderProtectionBatch } from './packet-protection.js';
import type { PacketSpace } from './packet-space.js';
import { type PacketType, packetHeaderLength, writeProtectedPacket } from './packet-writer.js';
import type { VersionProfile } from './version.js';

const TAG = 16;

/** What the send path reads from its connection; getters, because the values change. */
export interface SendContext {
  readonly role: 'client' | 'server';
  readonly profile: VersionProfile;
  readonly localCid: Uint8Array;
  /** The connection ID the peer currently wants in our packets' DCID. */
  readonly remoteCid: Uint8Array;
  /** The token our Initial packets carry (a client's, from Retry or NEW_TOKEN; else empty). */
  readonly token: Uint8Array;
  /** The largest datagram the path is known to carry (PMTU discovery raises it from 1200). */
  readonly maxDatagramSize: number;
  /** The key phase bit of 1-RTT packets (RFC 9001 §6). */
  readonly keyPhase: 0 | 1;
  readonly recovery: LossRecovery;
  readonly frames: FrameScheduler;
  /**
   * Called after each packet of `size` bytes is sealed (the client drops Initial keys on its
   * first Handshake packet; qlog logs it with its `type`: 0-RTT in the application space).
   */
  onSealed(
    space: PacketSpace,
    type: PacketType,
    pn: number,
    frames: readonly Frame[],
    size: number,
  ): void;
}

interface PacketPlan {
  readonly space: PacketSpace;
  readonly type: PacketType;
  readonly keys: PacketKeys;
  readonly frames: Frame[];
  readonly pnLength: 1 | 2 | 3 | 4;
  size: number;
  readonly isEliciting: boolean;
}

/**
 * Coalesces the next packets of each space with keys into one datagram of at most `room`
 * bytes (the amplification budget may make it smaller); undefined when nothing is due.
 * Datagrams with an ack-eliciting Initial (and every client Initial) are padded to 1200 bytes
 * (RFC 9000 §14.1).
 * @see RFC 9000 §12.2, §14.1
 */
export function buildDatagram(
  ctx: SendContext,
  spaces: readonly PacketSpace[],
  budget: number,
  now: number,
  batch?: HeaderProtectionBatch,
): Uint8Array | undefined {
  let room = Math.min(ctx.maxDatagramSize, budget);
  if (room < 100) return undefined;
  const plans: PacketPlan[] = [];
  let needsPadding = false;
  for (const space of spaces) {
    // A client resuming with 0-RTT sends application data before it has 1-RTT keys.
    const keys = space.writeKeys ?? space.earlyWriteKeys;
    if (keys === undefined || space.isDiscarded) continue;
    const type = space.writeKeys === undefined ? '0rtt' : space.name;
    const pnLength = packetNumberLength(space.nextPn, space.largestAcked);
    const headerLength = packetHeaderLength(
      type,
      ctx.remoteCid.length,
      ctx.localCid.length,
      pnLength,
      ctx.token.length,
    );
    const frames = ctx.frames.collect(space, room - headerLength - TAG, now);
    if (frames.length === 0) continue;
    let payload = 0;
    for (const frame of frames) payload += frameSize(frame);
    // The header protection sample needs 4 bytes after the packet number start.
    const padded = Math.max(payload, 4 - pnLength);
    if (padded > payload) frames.push({ type: 'padding', length: padded - payload });
    const size = headerLength + padded + TAG;
    const isEliciting = frames.some(isAckEliciting);
    plans.push({ space, type, keys, frames, pnLength, size, isEliciting });
    room -= size;
    if (space.name === 'initial' && (ctx.role === 'client' || isEliciting)) needsPadding = true;
  }
  if (plans.length === 0) return undefined;
  let total = 0;
  for (const plan of plans) total += plan.size;
  if (needsPadding && total < BASE_DATAGRAM) {
    const last = plans.at(-1)!;
    last.frames.push({ type: 'padding', length: BASE_DATAGRAM - total });
    last.size += BASE_DATAGRAM - total;
    total = BASE_DATAGRAM;
  }
  const w = new ByteWriter(datagramBuffer(total));
  for (const plan of plans) sealPacket(w, ctx, plan, now, batch);
  // Sized exactly, so this is the writer's buffer: the packets `batch` holds are views of it.
  const datagram = w.done();
  if (datagram.length !== total)
    throw new Error(`datagram of ${datagram.length} bytes was planned as ${total}`);
  return datagram;
}

/**
 * A PMTU probe of exactly `size` bytes: one 1-RTT packet with PING and PADDING, tracked for
 * loss like any ack-eliciting packet but marked as a probe.
 * @see RFC 9000 §14.4
 */
export function buildProbeDatagram(
  ctx: SendContext,
  space: PacketSpace,
  size: number,
  now: number,
): Uint8Array {
  const pnLength = packetNumberLength(space.nextPn, space.largestAcked);
  const header = packetHeaderLength(space.name, ctx.remoteCid.length, 0, pnLength, 0);
  const frames: Frame[] = [{ type: 'ping' }, { type: 'padding', length: size - header - TAG - 1 }];
  const w = new ByteWriter(size);
  const plan = { space, type: space.name, keys: space.writeKeys!, frames, pnLength };
  sealPacket(w, ctx, { ...plan, isEliciting: true }, now, undefined, true);
  return w.finish();
}

/**
 * One datagram carrying CONNECTION_CLOSE in each of `spaces` (the caller picks them, RFC 9000
 * §10.2.3); nothing of it is tracked for loss. Undefined when no space has keys.
 */
export function buildCloseDatagram(
  ctx: SendContext,
  spaces: readonly PacketSpace[],
  close: Frame,
  now: number,
): Uint8Array | undefined {
  const w = new ByteWriter(BASE_DATAGRAM);
  for (const space of spaces) {
    const pnLength = packetNumberLength(space.nextPn, space.largestAcked);
    const frames: Frame[] = [close];
    if (frameSize(close) < 4 - pnLength)
      frames.push({ type: 'padding', length: 4 - pnLength - frameSize(close) });
    const keys = space.writeKeys!;
    sealPacket(
      w,
      ctx,
      { space, type: space.name, keys, frames, pnLength, isEliciting: false },
      now,
    );
  }
  return w.length > 0 ? w.finish() : undefined;
}

/** Writes one protected packet at the end of `w` and records it for loss detection. */
function sealPacket(
  w: ByteWriter,
  ctx: SendContext,
  plan: Omit<PacketPlan, 'size'>,
  now: number,
  batch?: HeaderProtectionBatch,
  isMtuProbe = false,
): void {
  const { space, frames, pnLength, isEliciting } = plan;
  const pn = space.nextPn++;
  const size = writeProtectedPacket(
    {
      space: plan.type,
      keys: plan.keys,
      profile: ctx.profile,
      dcid: ctx.remoteCid,
      scid: ctx.localCid,
      pn,
      pnLength,
      keyPhase: ctx.keyPhase,
      token: ctx.token,
      frames,
    },
    w,
    batch,
  );
  if (isEliciting) {
    const retransmittable = retransmittableOf(frames);
    ctx.recovery.onSent(space, {
      pn,
      timeSent: now,
      size,
      isAckEliciting: true,
      frames: retransmittable,
      // Always present: one object shape for every packet in flight.
      isMtuProbe,
    });
  }
  ctx.onSealed(space, plan.type, pn, frames, size);
}

/**
 * The frames to keep while the packet is in flight, in an array of their own: the list the
 * scheduler grew has spare capacity, and this one outlives many scavenges. Most packets carry
 * one STREAM frame.
 */
function retransmittableOf(frames: readonly Frame[]): Frame[] {
  let count = 0;
  let last: Frame | undefined;
  for (const frame of frames) {
    if (!isRetransmittable(frame)) continue;
    count++;
    last = frame;
  }
  if (count === 1) return [last!];
  return count === 0 ? [] : frames.filter(isRetransmittable);
}

/** Frames that carry something to send again when their packet is lost. */
function isRetransmittable(frame: Frame): boolean {
  return frame.type !== 'ack' && frame.type !== 'padding' && frame.type !== 'ping';
}
