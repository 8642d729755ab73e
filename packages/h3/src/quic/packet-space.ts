import { AckTracker } from './ack-tracker.js';
import type { PacketKeys } from './crypto/packet-keys.js';
import type { AckRange, CryptoFrame, Frame } from './frames.js';
import { ReassemblyBuffer } from './reassembly-buffer.js';
import { SentPackets } from './sent-packets.js';

/** The three packet number spaces. @see RFC 9000 §12.3 */
export type SpaceName = 'initial' | 'handshake' | 'application';

/** The space a packet belongs to by its header (0-RTT: application); undefined for Retry. */
export function spaceOfHeader(
  header: { readonly form: 'short' } | { readonly form: 'long'; readonly type: string },
): SpaceName | undefined {
  if (header.form === 'short') return 'application';
  if (header.type === 'initial' || header.type === 'handshake') return header.type;
  if (header.type === '0rtt') return 'application';
  return undefined;
}

/** The most CRYPTO bytes held out of order per space (RFC 9000 §7.5 asks for at least 4096). */
const MAX_CRYPTO_BUFFER = 64 * 1024;

/** A packet we sent and have not yet seen acknowledged or declared lost. */
export interface SentPacket {
  readonly pn: number;
  readonly timeSent: number;
  readonly size: number;
  readonly isAckEliciting: boolean;
  /** Frames to send again if this packet is lost (CRYPTO, STREAM, control frames). */
  readonly frames: readonly Frame[];
  /** A PMTU probe: its loss says the size does not pass, not that the path is congested. */
  readonly isMtuProbe?: boolean;
}

/**
 * Everything one packet number space owns: keys, received-packet tracking for ACKs, packets in
 * flight for loss detection, and the CRYPTO stream in each direction.
 */
export class PacketSpace {
  readonly name: SpaceName;
  readKeys: PacketKeys | undefined;
  writeKeys: PacketKeys | undefined;
  /** Application space only: 0-RTT keys, until 1-RTT keys replace them (early-data.ts). */
  earlyReadKeys: PacketKeys | undefined;
  earlyWriteKeys: PacketKeys | undefined;
  readonly acks: AckTracker = new AckTracker();
  readonly sent: SentPackets = new SentPackets();
  nextPn = 0;
  largestAcked = -1;
  /** The ranges of the latest ACK from the peer (persistent congestion checks them). */
  peerAckRanges: readonly AckRange[] = [];
  /**
   * Packets a probe timeout took out of flight (their frames went out again): an ACK later
   * tells which of them never arrived, for the persistent congestion check (bounded).
   */
  probed: SentPacket[] = [];
  /** When the earliest in-flight packet becomes lost by the time threshold. */
  lossTime: number = Number.POSITIVE_INFINITY;
  lastAckElicitingSent = 0;
  readonly cryptoRecv: ReassemblyBuffer = new ReassemblyBuffer(MAX_CRYPTO_BUFFER);
  cryptoSendOffset = 0;
  /** CRYPTO frames waiting to be sent (new data and retransmissions), in order. */
  cryptoPending: CryptoFrame[] = [];
  /** A probe (PTO) asks for one ack-eliciting packet in this space even without data. */
  isProbeDue = false;
  isDiscarded = false;

  constructor(name: SpaceName) {
    this.name = name;
  }

  /** Queues handshake bytes for CRYPTO frames. */
  queueCrypto(data: Uint8Array): void {
    this.cryptoPending.push({ type: 'crypto', offset: this.cryptoSendOffset, data });
    this.cryptoSendOffset += data.length;
  }

  /** The next CRYPTO frame carrying at most `maxData` bytes. */
  takeCrypto(maxData: number): CryptoFrame | undefined {
    const head = this.cryptoPending[0];
    if (head === undefined || maxData <= 0) return undefined;
    if (head.data.length <= maxData) return this.cryptoPending.shift();
    this.cryptoPending[0] = {
      type: 'crypto',
      offset: head.offset + maxData,
      data: head.data.subarray(maxData),
    };
    return { type: 'crypto', offset: head.offset, data: head.data.subarray(0, maxData) };
  }

  /** Whether any ack-eliciting packet is in flight. */
  get hasAckElicitingInFlight(): boolean {
    return this.sent.some(isAckEliciting);
  }

  /** Drops keys and in-flight state once the space is no longer used (RFC 9001 §4.9). */
  discard(): SentPacket[] {
    this.isDiscarded = true;
    this.readKeys = undefined;
    this.writeKeys = undefined;
    const dropped = this.sent.takeAll();
    this.probed = [];
    this.cryptoPending = [];
    this.lossTime = Number.POSITIVE_INFINITY;
    this.isProbeDue = false;
    return dropped;
  }
}

function isAckEliciting(packet: SentPacket): boolean {
  return packet.isAckEliciting;
}
