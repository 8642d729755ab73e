import { buildDatagram, type SendContext } from './datagram-builder.js';
import { HeaderProtectionBatch } from './packet-protection.js';
import type { PacketSpace } from './packet-space.js';

/** What a burst charges each datagram to: the path's amplification budget and the stats. */
interface BurstPath {
  readonly budget: number;
  onSent(bytes: number): void;
}

/** One batch serves every connection: a burst is built and masked within one call. */
const batch = new HeaderProtectionBatch();

/**
 * Builds up to `max` datagrams for one flush, ready to send: each is charged to the path's
 * amplification budget as it is built (so the next one sees what is left), and header
 * protection is applied to the whole burst at the end, in one AES-ECB call per key rather than
 * one per packet.
 */
export function buildBurst(
  ctx: SendContext,
  spaces: readonly PacketSpace[],
  path: BurstPath,
  max: number,
  stats: { bytesSent: number },
): Uint8Array[] {
  // A burst started while another is being built (never expected) gets a batch of its own.
  const own = batch.size === 0 ? batch : new HeaderProtectionBatch();
  const burst: Uint8Array[] = [];
  try {
    while (burst.length < max) {
      const datagram = buildDatagram(ctx, spaces, path.budget, performance.now(), own);
      if (datagram === undefined) break;
      stats.bytesSent += datagram.length;
      path.onSent(datagram.length);
      burst.push(datagram);
    }
  } finally {
    // Also after a throw: the packets built so far are dropped, and the batch starts empty.
    own.apply();
  }
  return burst;
}
