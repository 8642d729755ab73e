import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { echo, echoPair, sha256 } from './quic-pair.js';
import { connectQuicheClient, quicheEchoServer } from './quiche-pair.js';
import { QUICHE_ALPN, quicheEcho } from './quiche-peer.js';

// Cloudflare quiche (through @matrixai/quic) against our endpoints over UDP loopback, issue #20.
// quiche's stream windows are 64 KiB and its connection window 256 KiB (quiche-peer.ts), and
// ours are set as small below, so every transfer runs through both sides' flow control.
const smallWindows = { maxData: 256 * 1024, maxStreamData: 64 * 1024 };

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

/** A Retry packet (QUIC v1 long header, type 3) among the datagrams a relay saw. */
function isRetry(datagram: Buffer): boolean {
  return (datagram[0]! & 0xf0) === 0xf0 && datagram.readUInt32BE(1) === 1;
}

/** Starts three 1-RTT key updates on `connection`, each answered by quiche, echoes between. */
async function updateKeysThrice(
  connection: QuicConnection,
  roundTrip: () => Promise<void>,
): Promise<void> {
  for (let i = 1; i <= 3; i++) {
    // Allowed once a packet with the current keys was acknowledged (RFC 9001 §6.1).
    await vi.waitFor(() => expect(connection.updateKeys()).toBe(true), { timeout: 10_000 });
    await roundTrip();
    // Counts a phase only when quiche's packets in the new phase opened with the next keys.
    await vi.waitFor(() => expect(connection.stats.keyUpdates).toBe(i), { timeout: 10_000 });
  }
}

describe('quiche client → our server (issue #20)', () => {
  it('echoes on eight concurrent bidirectional streams and a 4 MiB stream, through small windows', async () => {
    const { port, accepted } = await echoPair(creds, {
      alpn: [QUICHE_ALPN],
      transport: smallWindows,
    });
    const client = await connectQuicheClient(port, creds.ca);
    const payloads = Array.from({ length: 8 }, (_, i) => randomBytes(20_000 + i * 30_000));
    const replies = await Promise.all(payloads.map((p) => quicheEcho(client.connection, p)));
    expect(replies.map(sha256)).toEqual(payloads.map(sha256));
    const large = randomBytes(4 * 1024 * 1024);
    expect(sha256(await quicheEcho(client.connection, large))).toBe(sha256(large));
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.alpn).toBe(QUICHE_ALPN);
  }, 120_000);

  it('follows our Retry when the server requires address validation', async () => {
    const { port, accepted } = await echoPair(creds, {
      alpn: [QUICHE_ALPN],
      requireAddressValidation: true,
    });
    const retries: Buffer[] = [];
    const relay = await startLossyRelay(
      port,
      { drop: 0, duplicate: 0, reorder: 0 },
      1,
      (d, fromServer) => {
        if (fromServer && isRetry(d)) retries.push(d);
      },
    );
    onTestFinished(() => relay.close());
    const client = await connectQuicheClient(relay.port, creds.ca);
    const payload = randomBytes(100_000);
    expect(sha256(await quicheEcho(client.connection, payload))).toBe(sha256(payload));
    expect(retries).toHaveLength(1);
    expect(accepted).toHaveLength(1);
  }, 60_000);

  it('answers key updates started by our server', async () => {
    const { port, accepted } = await echoPair(creds, { alpn: [QUICHE_ALPN] });
    const client = await connectQuicheClient(port, creds.ca);
    const payload = randomBytes(64 * 1024);
    const roundTrip = async () => {
      expect(sha256(await quicheEcho(client.connection, payload))).toBe(sha256(payload));
    };
    await roundTrip();
    await updateKeysThrice(accepted[0]!, roundTrip);
    await roundTrip();
  }, 60_000);
});

describe('our client → quiche server (issue #20)', () => {
  async function connect(port: number): Promise<QuicConnection> {
    const client = await QuicEndpoint.bind({ transport: smallWindows });
    onTestFinished(() => client.close());
    return client.connect({
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      alpn: [QUICHE_ALPN],
      ca: [creds.ca],
    });
  }

  it('follows its Retry and echoes on eight concurrent bidirectional streams and a 4 MiB stream', async () => {
    const { port, connections } = await quicheEchoServer(creds);
    const connection = await connect(port);
    // @matrixai/quic's server answers every first Initial with a Retry.
    expect(connection.isRetried).toBe(true);
    expect(connection.alpn).toBe(QUICHE_ALPN);
    const payloads = Array.from({ length: 8 }, (_, i) => randomBytes(20_000 + i * 30_000));
    const replies = await Promise.all(payloads.map((p) => echo(connection, p)));
    expect(replies.map(sha256)).toEqual(payloads.map(sha256));
    const large = randomBytes(4 * 1024 * 1024);
    expect(sha256(await echo(connection, large))).toBe(sha256(large));
    expect(connections).toHaveLength(1);
  }, 120_000);

  it('has its key updates answered by quiche', async () => {
    const { port } = await quicheEchoServer(creds);
    const connection = await connect(port);
    const payload = randomBytes(64 * 1024);
    const roundTrip = async () => {
      expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    };
    await roundTrip();
    await updateKeysThrice(connection, roundTrip);
    await roundTrip();
  }, 60_000);
});
