/**
 * Buffers for outgoing datagrams, carved one after another out of shared 64 KiB slabs. A
 * typed array of over 64 bytes gets its own zero-filled backing store, and one per datagram
 * was a visible share of the send path's CPU (allocation and the GC of external memory); a view
 * into a slab is a small heap object. Space is never handed out twice: node keeps a datagram
 * it could not send at once and sends it later from the same memory, so a slab is freed (by
 * the GC) only once no datagram in it is referenced. Slabs are not zero-filled (that was as
 * costly as the allocations saved): the datagram builder writes every byte of a datagram (it
 * checks the size it wrote against its plan, and PADDING is written as zeros).
 */
const SLAB_BYTES = 64 * 1024;
/** Larger requests (jumbo datagrams on loopback) get a buffer of their own. */
const MAX_CARVED_BYTES = 16 * 1024;

let slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
let used = 0;

/** A buffer of exactly `size` bytes for one datagram, its contents unspecified. */
export function datagramBuffer(size: number): Uint8Array {
  if (size > MAX_CARVED_BYTES) return new Uint8Array(size);
  if (used + size > SLAB_BYTES) {
    slab = Buffer.allocUnsafeSlow(SLAB_BYTES);
    used = 0;
  }
  const buf = new Uint8Array(slab.buffer, slab.byteOffset + used, size);
  used += size;
  return buf;
}
