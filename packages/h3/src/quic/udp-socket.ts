// The UDP socket side of an endpoint: binding with large buffers and a lookup that skips DNS for IP literals.
import { createSocket, type Socket } from 'node:dgram';
import { lookup as dnsLookup, promises as dnsPromises, type LookupOneOptions } from 'node:dns';
import { isIP } from 'node:net';

/** The IP literal lookupLiteral answered last, and its family (4 or 6). */
let lastLiteral = '';
let lastFamily = 0;

/**
 * dgram resolves the address of every `send`; node's default lookup answers even an IP
 * literal on the next tick. Every datagram we send goes to an IP literal (the peer's address
 * as dgram reported it, or a resolved `connect` host), so answering those at once saves a
 * tick and a closure per datagram; names still go through DNS.
 */
function lookupLiteral(
  address: string,
  family: number | LookupOneOptions,
  callback: (err: NodeJS.ErrnoException | null, address: string, family: number) => void,
): void {
  // A connection sends every datagram to the same address: its family is remembered rather
  // than matched against isIP's regular expressions again per datagram.
  if (address !== lastLiteral) {
    const literal = isIP(address);
    if (literal === 0) {
      dnsLookup(address, family as LookupOneOptions, callback);
      return;
    }
    lastLiteral = address;
    lastFamily = literal;
  }
  callback(null, address, lastFamily);
}

/** `host` as an IP literal of the socket's family (names through DNS, as dgram would). */
export async function resolveHost(host: string, socket: Socket): Promise<string> {
  if (isIP(host) !== 0) return host;
  const family = String(socket.address().family).endsWith('6') ? 6 : 4;
  return (await dnsPromises.lookup(host, { family })).address;
}

/** Socket buffers for bursts of a full congestion window (the kernel may cap them lower). */
const SOCKET_BUFFER_BYTES = 4 * 1024 * 1024;

export async function bindSocket(host: string, port: number): Promise<Socket> {
  const socket = createSocket({ type: isIP(host) === 6 ? 'udp6' : 'udp4', lookup: lookupLiteral });
  await new Promise<void>((resolve, reject) => {
    socket.once('error', reject);
    socket.bind(port, host, () => {
      socket.off('error', reject);
      resolve();
    });
  });
  try {
    // Loss from a full receive buffer on a fast path costs a congestion window halving.
    socket.setRecvBufferSize(SOCKET_BUFFER_BYTES);
    socket.setSendBufferSize(SOCKET_BUFFER_BYTES);
  } catch {
    // Not allowed here: the system default stays.
  }
  return socket;
}
