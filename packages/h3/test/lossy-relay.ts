import { createSocket, type Socket } from 'node:dgram';

/** What the relay does to each datagram, as shares between 0 and 1. */
export interface RelayFaults {
  readonly drop: number;
  readonly duplicate: number;
  /** Held back for 1-10 ms, so later datagrams overtake it. */
  readonly reorder: number;
  /** Every datagram is held back this long (a path with an RTT of twice this). Default 0. */
  readonly delayMs?: number;
  /** Datagrams larger than this are dropped, as a link with a smaller MTU would. */
  readonly maxDatagramBytes?: number;
}

/**
 * A UDP relay between one client and a server that drops, duplicates and reorders datagrams
 * with a seeded generator. Clients connect to `port`.
 *
 * The seed fixes the fault drawn for the nth datagram, but which packet is the nth depends on
 * timers, so runs on a loaded machine differ: every test through it must pass for any pattern.
 * Hence the relay never drops two datagrams in a row in one direction. A burst would double the
 * probe timeout once per lost probe (RFC 9002 §6.2.1): five in a row in a handshake stall a
 * connection for 1+2+4+8+16 s, past its 30 s idle timeout, which says nothing about loss
 * recovery. With single losses every loss is repaired within about two probe timeouts.
 */
export async function startLossyRelay(
  serverPort: number,
  faults: RelayFaults,
  seed = 1,
  /** Sees every datagram the relay receives (a capture, as tcpdump would take). */
  tap?: (datagram: Buffer, fromServer: boolean) => void,
): Promise<{ port: number; dropped: () => number; close: () => Promise<void> }> {
  let state = seed;
  const random = (): number => {
    // xorshift32: deterministic and good enough for choosing faults.
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) / 0x100000000;
  };
  const socket: Socket = createSocket('udp4');
  let client: { port: number; address: string } | undefined;
  let dropped = 0;
  /** Whether the last datagram in each direction was dropped (index 1: from the server). */
  const justDropped = [false, false];
  const timers = new Set<NodeJS.Timeout>();
  socket.on('message', (msg, rinfo) => {
    const fromServer = rinfo.port === serverPort;
    // A new client only with a datagram that can open a connection (a long header padded to
    // 1200 bytes, as a client's Initial is, RFC 9000 §14.1): a stray datagram, such as a late one
    // from another test's peer to a port since reused, must not turn the replies away.
    const opensConnection = (msg[0]! & 0x80) !== 0 && msg.length >= 1200;
    if (!fromServer && (client === undefined || opensConnection))
      client = { port: rinfo.port, address: rinfo.address };
    const to = fromServer ? client : { port: serverPort, address: '127.0.0.1' };
    tap?.(msg, fromServer);
    if (to === undefined) return;
    if (msg.length > (faults.maxDatagramBytes ?? Number.POSITIVE_INFINITY)) {
      dropped++;
      return;
    }
    const direction = fromServer ? 1 : 0;
    // Drawn for every datagram, so a spared one does not shift the faults of later ones.
    const isDrop = random() < faults.drop && !justDropped[direction];
    justDropped[direction] = isDrop;
    if (isDrop) {
      dropped++;
      return;
    }
    const copies = random() < faults.duplicate ? 2 : 1;
    const delayMs = faults.delayMs ?? 0;
    for (let i = 0; i < copies; i++) {
      const extra = random() < faults.reorder ? 1 + Math.floor(random() * 10) : 0;
      if (delayMs + extra === 0) {
        socket.send(msg, to.port, to.address);
        continue;
      }
      const timer = setTimeout(() => {
        timers.delete(timer);
        socket.send(msg, to.port, to.address);
      }, delayMs + extra);
      timers.add(timer);
    }
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return {
    port: socket.address().port,
    dropped: () => dropped,
    close: () =>
      new Promise<void>((resolve) => {
        for (const timer of timers) clearTimeout(timer);
        socket.close(() => resolve());
      }),
  };
}
