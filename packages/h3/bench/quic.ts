/**
 * `pnpm bench quic`: our QUIC client against our QUIC server over loopback, Cloudflare quiche's
 * client (@matrixai/quic) against our server, and node:tls over TCP carrying the same payload
 * as context, in one run. Three cases per transport:
 * - bulk-1: `--mb` megabytes uploaded on one stream (one TLS connection), acknowledged by the
 *   server with the byte count it read;
 * - bulk-10: the same total split over 10 concurrent streams (10 TLS connections);
 * - handshakes: sequential handshakes (each with one tiny round trip) for `--seconds`.
 * Reported: MB/s, QUIC packets/s (sent by the client), and the process CPU time per MB. Client and
 * server share this process (and its CPU), so the CPU per MB counts both ends.
 *
 * Also per QUIC bulk case: losses, congestion events, the host's UDP receive-buffer drops during
 * it (Linux), the smoothed RTT and the final window.
 *
 * Flags: --mb 100, --seconds 3, --only quic,quiche,tls, --cc cubic (or newreno, or cubic,newreno),
 * --mtu 1452 (the largest datagram PMTU discovery may reach; loopback carries up to 65527).
 */

import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import { createServer as createTlsServer, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { parseArgs } from 'node:util';
import type { QUICClient as QuicheClient } from '@matrixai/quic';
import type { CongestionControl } from '../src/quic/congestion.js';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import type { QuicStream } from '../src/quic/quic-stream.js';
import { makeCredentials } from '../test/certs.js';
import { createQuicheClient, QUICHE_ALPN, readAll } from '../test/quiche-peer.js';

const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '100' },
    seconds: { type: 'string', default: '3' },
    only: { type: 'string', default: 'quic,quiche,tls' },
    cc: { type: 'string', default: 'cubic' },
    mtu: { type: 'string', default: '1452' },
  },
});
const TOTAL = Math.round(Number(values.mb) * 1024 * 1024);
const SECONDS = Number(values.seconds);
const MTU = Number(values.mtu);
const only = new Set(values.only.split(','));
const CHUNK = randomBytes(64 * 1024);
const creds = makeCredentials('ec');

interface Row {
  transport: string;
  case: string;
  mbPerS: string;
  packetsPerS: string;
  cpuMsPerMb: string;
  extra: string;
}
const rows: Row[] = [];

async function measure(
  transport: string,
  name: string,
  bytes: number,
  run: () => Promise<number>,
): Promise<void> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  const packets = await run();
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  const mb = bytes / (1024 * 1024);
  rows.push({
    transport,
    case: name,
    mbPerS: (mb / seconds).toFixed(1),
    packetsPerS: packets > 0 ? Math.round(packets / seconds).toString() : '-',
    cpuMsPerMb: ((used.user + used.system) / 1000 / mb).toFixed(2),
    extra: `${seconds.toFixed(2)} s`,
  });
}

/**
 * Datagrams the kernel dropped for a full UDP receive buffer so far, host-wide (Linux
 * /proc/net/snmp RcvbufErrors; 0 elsewhere): loss from bursts, not from the path.
 */
function rcvbufErrors(): number {
  try {
    const lines = readFileSync('/proc/net/snmp', 'utf8')
      .split('\n')
      .filter((l) => l.startsWith('Udp: '));
    const names = lines[0]!.split(' ');
    return Number(lines[1]!.split(' ')[names.indexOf('RcvbufErrors')]);
  } catch {
    return 0;
  }
}

/** Writes `bytes` to a stream-like sink in 64 KiB chunks. */
async function pump(write: (chunk: Uint8Array) => Promise<void>, bytes: number): Promise<void> {
  for (let sent = 0; sent < bytes; sent += CHUNK.length)
    await write(CHUNK.subarray(0, Math.min(CHUNK.length, bytes - sent)));
}

/** Our server: reads each stream to its end and answers with the byte count. */
function countingServer(congestionControl?: CongestionControl): Promise<QuicEndpoint> {
  return QuicEndpoint.bind({
    ...(congestionControl === undefined ? {} : { congestionControl }),
    maxDatagramSize: MTU,
    tls: { cert: creds.cert, key: creds.key },
    alpn: ['bench', QUICHE_ALPN],
    transport: { maxData: 16 * 1024 * 1024, maxStreamData: 4 * 1024 * 1024 },
    onConnection: (connection) => {
      connection.onStream = (stream: QuicStream) => {
        void (async () => {
          let n = 0;
          for await (const chunk of stream) n += chunk.length;
          await stream.write(new TextEncoder().encode(String(n)));
          stream.end();
        })().catch(() => {});
      };
    },
  });
}

/** Checks the byte count the counting server answered with. */
function checkCount(reply: string, bytes: number): void {
  if (Number(reply) !== bytes) throw new Error(`the server read ${reply} of ${bytes} bytes`);
}

async function quicCases(congestionControl: CongestionControl): Promise<void> {
  const transport = `quic ${congestionControl}`;
  const server = await countingServer(congestionControl);
  const client = await QuicEndpoint.bind({ congestionControl, maxDatagramSize: MTU });
  const { port } = server.address();
  const connect = () =>
    client.connect({ host: '127.0.0.1', port, alpn: ['bench'], ca: [creds.ca] });
  const upload = async (connection: QuicConnection, bytes: number) => {
    const stream = connection.openStream();
    await pump((c) => stream.write(c), bytes);
    stream.end();
    let reply = '';
    for await (const chunk of stream) reply += new TextDecoder().decode(chunk);
    checkCount(reply, bytes);
  };
  for (const streams of [1, 10]) {
    const connection = await connect();
    const drops = rcvbufErrors();
    await measure(transport, `bulk-${streams}`, TOTAL, async () => {
      await Promise.all(
        Array.from({ length: streams }, () => upload(connection, Math.floor(TOTAL / streams))),
      );
      return connection.stats.packetsSent;
    });
    const s = connection.stats;
    rows.at(-1)!.extra +=
      `, ${s.packetsLost} lost, ${s.congestionEvents} cc events, ${rcvbufErrors() - drops} rcvbuf drops, ` +
      `srtt ${s.smoothedRttMs.toFixed(1)} ms, datagrams ${s.maxDatagramSize} B, ${s.congestionControl} cwnd ${Math.round(s.congestionWindow / 1024)} KiB`;
    connection.close();
  }
  await handshakes(transport, async () => {
    const connection = await connect();
    await upload(connection, 1);
    connection.close();
  });
  await client.close();
  await server.close();
}

/**
 * Cloudflare quiche's client (through @matrixai/quic, with its default windows: 1 MiB per
 * stream, 10 MiB per connection) uploading to our server. Packets/s are not reported: the
 * library does not count the packets quiche sends.
 */
async function quicheCases(): Promise<void> {
  const server = await countingServer();
  const { port } = server.address();
  const connect = () => createQuicheClient(port, creds.ca, {});
  const upload = async (client: QuicheClient, bytes: number) => {
    const stream = client.connection.newStream('bidi');
    const writer = stream.writable.getWriter();
    await pump((c) => writer.write(c), bytes);
    await writer.close();
    checkCount((await readAll(stream)).toString(), bytes);
  };
  for (const streams of [1, 10]) {
    const client = await connect();
    await measure('quiche→quic', `bulk-${streams}`, TOTAL, async () => {
      await Promise.all(
        Array.from({ length: streams }, () => upload(client, Math.floor(TOTAL / streams))),
      );
      return 0;
    });
    await client.destroy();
  }
  await handshakes('quiche→quic', async () => {
    const client = await connect();
    await upload(client, 1);
    await client.destroy();
  });
  await server.close();
}

async function tlsCases(): Promise<void> {
  const server = createTlsServer({ cert: creds.cert, key: creds.key }, (socket) => {
    let n = 0;
    socket.on('data', (chunk: Buffer) => {
      n += chunk.length;
    });
    socket.on('end', () => socket.end(String(n)));
    socket.on('error', () => {});
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  const upload = async (bytes: number) => {
    const socket: TLSSocket = tlsConnect({
      host: '127.0.0.1',
      port,
      ca: [creds.ca],
      servername: 'localhost',
    });
    await once(socket, 'secureConnect');
    await pump(
      (c) => (socket.write(c) ? Promise.resolve() : once(socket, 'drain').then(() => {})),
      bytes,
    );
    socket.end();
    let reply = '';
    for await (const chunk of socket) reply += chunk.toString();
    checkCount(reply, bytes);
  };
  for (const connections of [1, 10]) {
    await measure('tls+tcp', `bulk-${connections}`, TOTAL, async () => {
      await Promise.all(
        Array.from({ length: connections }, () => upload(Math.floor(TOTAL / connections))),
      );
      return 0;
    });
  }
  await handshakes('tls+tcp', () => upload(1));
  server.close();
}

async function handshakes(transport: string, one: () => Promise<void>): Promise<void> {
  const cpu = process.cpuUsage();
  const start = performance.now();
  let count = 0;
  while (performance.now() - start < SECONDS * 1000) {
    await one();
    count++;
  }
  const seconds = (performance.now() - start) / 1000;
  const used = process.cpuUsage(cpu);
  rows.push({
    transport,
    case: 'handshakes',
    mbPerS: '-',
    packetsPerS: '-',
    cpuMsPerMb: '-',
    extra: `${Math.round(count / seconds)} handshakes/s, ${((used.user + used.system) / 1000 / count).toFixed(2)} ms CPU each`,
  });
}

if (only.has('quic'))
  for (const cc of values.cc.split(',')) await quicCases(cc as CongestionControl);
if (only.has('quiche')) await quicheCases();
if (only.has('tls')) await tlsCases();
console.log(`payload ${TOTAL / (1024 * 1024)} MB per bulk case; handshakes for ${SECONDS} s`);
console.table(rows);
