import type { PacketKeys } from './crypto/packet-keys.js';
import type { KeyUpdate } from './key-update.js';
import type { LongHeader, ShortHeader } from './packet-header.js';
import { decodePacketNumber } from './packet-number.js';
import type { PacketSpace } from './packet-space.js';

/**
 * Applying and removing packet protection: AEAD over the payload with the header as associated
 * data, then header protection over the first byte's low bits and the packet number.
 * @see RFC 9001 §5.3, §5.4
 */

/**
 * Protects one packet. `header` is the unprotected header ending with the packet number at
 * `pnOffset` (length `pnLength`); `plaintext` is the frames, at least `4 - pnLength` bytes so
 * the header protection sample exists. Returns header ‖ ciphertext ‖ tag, protected.
 */
export function protectPacket(
  keys: PacketKeys,
  header: Uint8Array,
  pnOffset: number,
  pn: number,
  plaintext: Uint8Array,
): Uint8Array {
  const packet = new Uint8Array(header.length + plaintext.length + 16);
  packet.set(header, 0);
  protectInPlace(keys, packet, pnOffset, pn, plaintext);
  return packet;
}

/**
 * Protects a packet whose unprotected header already sits at the start of `packet` (ending
 * with the packet number at `pnOffset`), writing ciphertext ‖ tag right after it and then
 * masking the header in place. `packet` must be exactly header + plaintext + 16 bytes; the
 * plaintext is `plaintext`, or when omitted already in place after the header.
 */
export function protectInPlace(
  keys: PacketKeys,
  packet: Uint8Array,
  pnOffset: number,
  pn: number,
  plaintext?: Uint8Array,
  batch?: HeaderProtectionBatch,
): void {
  const pnLength = (packet[0]! & 0x03) + 1;
  keys.sealInPlace(pn, packet, pnOffset + pnLength, plaintext);
  if (batch !== undefined) batch.add(keys, packet, pnOffset);
  else applyMask(packet, pnOffset, keys.mask(packet.subarray(pnOffset + 4, pnOffset + 20)), 0);
}

/** XORs the header protection mask at `mask[at …]` into a sealed packet's first byte and PN. */
function applyMask(packet: Uint8Array, pnOffset: number, mask: Uint8Array, at: number): void {
  const pnLength = (packet[0]! & 0x03) + 1;
  const isLong = (packet[0]! & 0x80) !== 0;
  packet[0] = packet[0]! ^ (mask[at]! & (isLong ? 0x0f : 0x1f));
  for (let i = 0; i < pnLength; i++)
    packet[pnOffset + i] = packet[pnOffset + i]! ^ mask[at + 1 + i]!;
}

/**
 * Header protection deferred over a burst of packets: each packet's sample exists only once
 * its payload is sealed, but the masks of a whole burst can then come from one AES-ECB call
 * instead of one per packet. Packets are sealed (AEAD) when added; `apply()` masks their
 * headers, and must run before any of them is sent.
 */
export class HeaderProtectionBatch {
  #keys: PacketKeys[] = [];
  #packets: Uint8Array[] = [];
  #pnOffsets: number[] = [];
  #samples = new Uint8Array(64 * 16);

  get size(): number {
    return this.#packets.length;
  }

  add(keys: PacketKeys, packet: Uint8Array, pnOffset: number): void {
    const i = this.#packets.length;
    if ((i + 1) * 16 > this.#samples.length) {
      const grown = new Uint8Array(this.#samples.length * 2);
      grown.set(this.#samples);
      this.#samples = grown;
    }
    // Copied byte by byte: a view of the sample per packet would be one more heap object.
    const samples = this.#samples;
    for (let k = 0, from = pnOffset + 4, to = i * 16; k < 16; k++)
      samples[to + k] = packet[from + k]!;
    this.#keys.push(keys);
    this.#packets.push(packet);
    this.#pnOffsets.push(pnOffset);
  }

  /** Masks every packet added since the last apply (one cipher call per run of equal keys). */
  apply(): void {
    const n = this.#packets.length;
    let runStart = 0;
    while (runStart < n) {
      const keys = this.#keys[runStart]!;
      let runEnd = runStart + 1;
      while (runEnd < n && this.#keys[runEnd] === keys) runEnd++;
      const masks = keys.masks(this.#samples.subarray(runStart * 16), runEnd - runStart);
      for (let i = runStart; i < runEnd; i++)
        applyMask(this.#packets[i]!, this.#pnOffsets[i]!, masks, (i - runStart) * 16);
      runStart = runEnd;
    }
    this.#keys.length = 0;
    this.#packets.length = 0;
    this.#pnOffsets.length = 0;
  }
}

/** A packet after protection was removed. */
export interface OpenedPacket {
  readonly pn: number;
  /** The first byte with header protection removed (key phase, reserved bits). */
  readonly firstByte: number;
  /** The decrypted frames. */
  readonly payload: Uint8Array;
}

/**
 * Removes header protection and decrypts the packet occupying `buf[start, end)` whose packet
 * number starts at `pnOffset`. `largestPn` is the largest packet number received in the space
 * (-1 when none). Returns null when the packet is too short or fails authentication: such
 * packets are dropped without closing the connection (RFC 9001 §9.5, RFC 9000 §12.2).
 * `keysForPhase` picks the AEAD keys of a short header by its key phase bit (RFC 9001 §6);
 * `keys` always removes header protection, whose key no key update changes.
 */
export function unprotectPacket(
  keys: PacketKeys,
  buf: Uint8Array,
  start: number,
  pnOffset: number,
  end: number,
  largestPn: number,
  keysForPhase?: (phaseBit: 0 | 1, pn: number) => PacketKeys | undefined,
): OpenedPacket | null {
  if (pnOffset + 20 > end) return null;
  const mask = keys.mask(buf.subarray(pnOffset + 4, pnOffset + 20));
  const isLong = (buf[start]! & 0x80) !== 0;
  const firstByte = buf[start]! ^ (mask[0]! & (isLong ? 0x0f : 0x1f));
  const pnLength = (firstByte & 0x03) + 1;
  // Work on a copy of the header: the received bytes stay intact in case another key is tried.
  const header = buf.slice(start, pnOffset + pnLength);
  header[0] = firstByte;
  let truncated = 0;
  const pnAt = pnOffset - start;
  for (let i = 0; i < pnLength; i++) {
    header[pnAt + i] = header[pnAt + i]! ^ mask[1 + i]!;
    truncated = truncated * 256 + header[pnAt + i]!;
  }
  const pn = decodePacketNumber(largestPn, truncated, pnLength);
  const aead =
    isLong || keysForPhase === undefined ? keys : keysForPhase(keyPhaseBit(firstByte), pn);
  if (aead === undefined) return null;
  const payload = aead.open(pn, header, buf.subarray(pnOffset + pnLength, end));
  if (payload === null) return null;
  return { pn, firstByte, payload };
}

/** The key phase bit of a short header's first byte, header protection removed. */
function keyPhaseBit(firstByte: number): 0 | 1 {
  return (firstByte & 0x04) === 0 ? 0 : 1;
}

/**
 * Opens a packet received in `space`: 1-RTT packets with the keys their key phase bit selects
 * (and a key update noticed, RFC 9001 §6.2), others with the space's read keys. Null when it
 * is dropped: no keys yet, failed authentication, or a duplicate packet number.
 */
export function openReceived(
  space: PacketSpace,
  buf: Uint8Array,
  header: LongHeader | ShortHeader,
  keyUpdate: KeyUpdate,
  now: number,
  ptoMs: number,
): OpenedPacket | null {
  if (space.readKeys === undefined) return null;
  const opened = unprotectPacket(
    space.readKeys,
    buf,
    header.start,
    header.pnOffset,
    header.end,
    space.acks.largest,
    (phaseBit, pn) => keyUpdate.keysFor(phaseBit, pn, now),
  );
  if (opened === null || space.acks.has(opened.pn)) return null;
  if (header.form === 'short')
    keyUpdate.onOpened(keyPhaseBit(opened.firstByte), opened.pn, now, ptoMs);
  return opened;
}
