/**
 * Buffers for outgoing datagrams, carved one after another out of shared 64 KiB slabs. A
 * typed array of over 64 bytes gets its own zero-filled backing store, and one per datagram
 * was a visible share of the send path's CPU (allocation and the GC of external memory); a view
 * into a slab is a small heap object. Space is never handed out twice: node keeps a datagram
 * it could not send at once and sends it later from the same memory, so a slab is freed (by
 * the GC) only once no datagram in it is referenced. A fresh slab is zeroed, so unwritten
 * bytes are zero.
 */
const SLAB_BYTES = 64 * 1024;
/** Larger requests (jumbo datagrams on loopback) get a buffer of their own. */
const MAX_CARVED_BYTES = 16 * 1024;

let slab = new ArrayBuffer(SLAB_BYTES);
let used = 0;

/** A zeroed buffer of exactly `size` bytes for one datagram. */
export function datagramBuffer(size: number): Uint8Array {
  if (size > MAX_CARVED_BYTES) return new Uint8Array(size);
  if (used + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    used = 0;
  }
  const buf = new Uint8Array(slab, used, size);
  used += size;
  return buf;
}
