import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { type RelayFaults, startLossyRelay } from './lossy-relay.js';
import { echo, echoPair, sha256 } from './quic-pair.js';
import { startQuicheSessionServer } from './quiche-native.js';
import { connectQuicheClient } from './quiche-pair.js';
import { QUICHE_ALPN, quicheEcho } from './quiche-peer.js';

// Cloudflare quiche (through @matrixai/quic, and its native binding for the server, see
// quiche-native.ts) against our endpoints through the lossy relay, handshake included
// (issue #20): both sides' loss recovery and congestion control at work.
const faults: RelayFaults = { drop: 0.1, duplicate: 0.05, reorder: 0.05 };

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('quiche ↔ our endpoints through a relay that drops 10 % of datagrams (issue #20)', () => {
  it('quiche client → our server (with Retry): four streams and 1 MiB echo intact, key update', async () => {
    const { port, accepted } = await echoPair(creds, {
      alpn: [QUICHE_ALPN],
      requireAddressValidation: true,
    });
    const relay = await startLossyRelay(port, faults, 7);
    onTestFinished(() => relay.close());
    const client = await connectQuicheClient(relay.port, creds.ca);
    const payloads = [1, 2, 3, 4].map((i) => randomBytes(i * 40_000));
    const replies = await Promise.all(payloads.map((p) => quicheEcho(client.connection, p)));
    expect(replies.map(sha256)).toEqual(payloads.map(sha256));
    const server = accepted[0]!;
    await vi.waitFor(() => expect(server.updateKeys()).toBe(true), { timeout: 20_000 });
    const large = randomBytes(1024 * 1024);
    expect(sha256(await quicheEcho(client.connection, large))).toBe(sha256(large));
    expect(server.stats.keyUpdates).toBe(1);
    expect(relay.dropped()).toBeGreaterThan(0);
    // Our server saw its own packets go missing and recovered them.
    expect(server.stats.packetsLost).toBeGreaterThan(0);
    expect(accepted).toHaveLength(1);
  }, 180_000);

  it('our client → quiche server (its Retry): four streams and 1 MiB echo intact, key update', async () => {
    // The native binding's server, not @matrixai/quic's: that one ends each echo with a
    // zero-length FIN, which quiche loses for good when it is dropped (see finWithData).
    const quicheServer = await startQuicheSessionServer(creds, {
      isRetrying: true,
      windows: { maxData: 256 * 1024, maxStreamData: 64 * 1024 },
    });
    onTestFinished(() => quicheServer.close());
    const port = quicheServer.port;
    const relay = await startLossyRelay(port, faults, 11);
    onTestFinished(() => relay.close());
    // 60 s idle (the quiche server's too): its retransmissions were seen to pause for 9 s.
    const endpoint = await QuicEndpoint.bind({ transport: { maxIdleTimeoutMs: 60_000 } });
    onTestFinished(() => endpoint.close());
    const connection = await endpoint.connect({
      host: '127.0.0.1',
      port: relay.port,
      serverName: 'localhost',
      alpn: [QUICHE_ALPN],
      ca: [creds.ca],
    });
    expect(connection.isRetried).toBe(true);
    const payloads = [1, 2, 3, 4].map((i) => randomBytes(i * 40_000));
    const replies = await Promise.all(payloads.map((p) => echo(connection, p)));
    expect(replies.map(sha256)).toEqual(payloads.map(sha256));
    await vi.waitFor(() => expect(connection.updateKeys()).toBe(true), { timeout: 20_000 });
    const large = randomBytes(1024 * 1024);
    expect(sha256(await echo(connection, large))).toBe(sha256(large));
    expect(connection.stats.keyUpdates).toBe(1);
    expect(relay.dropped()).toBeGreaterThan(0);
    expect(connection.stats.packetsLost).toBeGreaterThan(0);
  }, 180_000);
});
