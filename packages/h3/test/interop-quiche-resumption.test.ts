import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
import {
  type QuicConnectOptions,
  QuicEndpoint,
  type QuicEndpointOptions,
} from '../src/quic/quic-endpoint.js';
import type { SessionTicket } from '../src/quic/tls/session-ticket.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { collect, echo, echoPair, sha256 } from './quic-pair.js';
import {
  connectQuicheSessionClient,
  type QuicheSessionClient,
  startQuicheSessionServer,
} from './quiche-native.js';
import { QUICHE_ALPN } from './quiche-peer.js';

// quiche resuming with our session tickets and sending 0-RTT to our server, and our client
// resuming with quiche's tickets, issue #20. @matrixai/quic's QUICClient and QUICServer cannot
// resume, so these drive quiche through its native binding (quiche-native.ts).

/** How long to wait for a ticket that follows the handshake (generous: a shared, loaded CI box). */
const WAIT = { timeout: 10_000 };

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

async function server(options: Partial<QuicEndpointOptions>) {
  return echoPair(creds, { alpn: [QUICHE_ALPN], ...options });
}

async function quicheClient(port: number, session?: Uint8Array): Promise<QuicheSessionClient> {
  const client = await connectQuicheSessionClient(port, creds.ca, session);
  onTestFinished(() => client.close());
  return client;
}

/** A full handshake and one echo; returns the session quiche stored from our ticket. */
async function firstSession(port: number): Promise<Uint8Array> {
  const client = await quicheClient(port);
  await client.established;
  expect(client.isResumed()).toBe(false);
  const payload = randomBytes(3_000);
  expect(sha256(await client.echo(payload))).toBe(sha256(payload));
  // Our NewSessionTicket follows the handshake; quiche keeps it as its session.
  const session = await vi.waitFor(() => {
    const s = client.session();
    if (s === null) throw new Error('no session yet');
    return s;
  }, WAIT);
  await client.close();
  return session;
}

describe('quiche client resuming with our tickets (issue #20)', () => {
  it('resumes a session without 0-RTT when our server does not enable early data', async () => {
    const { port, accepted } = await server({});
    const session = await firstSession(port);
    const client = await quicheClient(port, session);
    await client.established;
    expect(client.isResumed()).toBe(true);
    expect(accepted[0]!.tlsSession.isResumed).not.toBe(true);
    expect(accepted[1]!.tlsSession.isResumed).toBe(true);
    // Our tickets carry no early_data without `earlyData`: quiche sent nothing in 0-RTT.
    expect(accepted[1]!.tlsSession.earlyData).toBeUndefined();
    const payload = randomBytes(50_000);
    expect(sha256(await client.echo(payload))).toBe(sha256(payload));
  }, 60_000);

  it('sends 0-RTT data that our server accepts and echoes; a replayed session gets 1-RTT only', async () => {
    const { port, accepted } = await server({ earlyData: true });
    const session = await firstSession(port);
    const early = randomBytes(4_000);
    const client = await quicheClient(port, session);
    // The stream goes out with the first flight, before any answer from the server.
    expect(client.isInEarlyData()).toBe(true);
    const reply = client.echo(early);
    await client.established;
    expect(sha256(await reply)).toBe(sha256(early));
    expect(client.isResumed()).toBe(true);
    expect(accepted[1]!.tlsSession.earlyData).toBe('accepted');

    // Tickets admit 0-RTT once (replay-guard.ts): quiche's early data is refused, it sends
    // the stream again in 1-RTT, and the echo still arrives whole, once.
    const replay = await quicheClient(port, session);
    expect(replay.isInEarlyData()).toBe(true);
    const again = replay.echo(early);
    await replay.established;
    expect(sha256(await again)).toBe(sha256(early));
    expect(replay.isResumed()).toBe(true);
    expect(accepted[2]!.tlsSession.isResumed).toBe(true);
    expect(accepted[2]!.tlsSession.earlyData).toBeUndefined();
  }, 60_000);

  it('resumes with 0-RTT through a relay that drops 10 % of datagrams, three times', async () => {
    const { port, accepted } = await server({ earlyData: true });
    const relay = await startLossyRelay(port, { drop: 0.1, duplicate: 0.05, reorder: 0.05 }, 5);
    onTestFinished(() => relay.close());
    let session = await firstSession(relay.port);
    for (let round = 0; round < 3; round++) {
      const client = await quicheClient(relay.port, session);
      const payload = randomBytes(4_000);
      const reply = client.echo(payload);
      await client.established;
      expect(sha256(await reply)).toBe(sha256(payload));
      expect(client.isResumed()).toBe(true);
      // The resumed session's new ticket is the next round's session (each admits 0-RTT once).
      session = await vi.waitFor(() => {
        const s = client.session();
        if (s === null || Buffer.compare(s, session) === 0) throw new Error('no new session yet');
        return s;
      }, WAIT);
      await client.close();
    }
    expect(accepted).toHaveLength(4);
    expect(accepted.slice(1).map((c) => c.tlsSession.isResumed)).toEqual([true, true, true]);
    expect(accepted.slice(1).map((c) => c.tlsSession.earlyData)).toEqual([
      'accepted',
      'accepted',
      'accepted',
    ]);
  }, 120_000);
});

describe('our client resuming with quiche tickets (issue #20)', () => {
  async function ourClient(port: number) {
    const endpoint = await QuicEndpoint.bind();
    onTestFinished(() => endpoint.close());
    const options: QuicConnectOptions = {
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      alpn: [QUICHE_ALPN],
      ca: [creds.ca],
    };
    const tickets: SessionTicket[] = [];
    const first = await endpoint.connect({ ...options, onSessionTicket: (t) => tickets.push(t) });
    const payload = randomBytes(3_000);
    expect(sha256(await echo(first, payload))).toBe(sha256(payload));
    await vi.waitFor(() => expect(tickets.length).toBeGreaterThan(0), WAIT);
    first.close();
    return { endpoint, options, ticket: tickets[0]! };
  }

  it('resumes with a quiche ticket and sends 0-RTT data that quiche accepts', async () => {
    const quicheServer = await startQuicheSessionServer(creds);
    onTestFinished(() => quicheServer.close());
    const { endpoint, options, ticket } = await ourClient(quicheServer.port);
    expect(ticket.maxEarlyData).toBeGreaterThan(0);
    const connection = await endpoint.connect({
      ...options,
      sessionTicket: ticket,
      earlyData: true,
    });
    // connect() returned before the handshake: the stream goes out in 0-RTT packets.
    expect(connection.tlsSession.earlyData).toBe('offered');
    const stream = connection.openStream();
    const reply = collect(stream);
    const early = randomBytes(4_000);
    await stream.write(early);
    stream.end();
    expect(sha256(await reply)).toBe(sha256(early));
    await connection.handshake;
    expect(connection.tlsSession.isResumed).toBe(true);
    expect(connection.tlsSession.earlyData).toBe('accepted');
    expect(quicheServer.connections[1]!.isResumed()).toBe(true);
    const payload = randomBytes(100_000);
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
  }, 60_000);

  // It once ended on an idle timeout: quiche's echo of a stream lost its zero-length FIN for
  // good (cloudflare/quiche#2525); the native server now sends the FIN with data (finWithData).
  it('resumes with 0-RTT through a relay that drops 10 % of datagrams, three times', async () => {
    const quicheServer = await startQuicheSessionServer(creds);
    onTestFinished(() => quicheServer.close());
    const relay = await startLossyRelay(
      quicheServer.port,
      { drop: 0.1, duplicate: 0.05, reorder: 0.05 },
      9,
    );
    onTestFinished(() => relay.close());
    const { endpoint, options, ticket } = await ourClient(relay.port);
    for (let round = 0; round < 3; round++) {
      const connection = await endpoint.connect({
        ...options,
        sessionTicket: ticket,
        earlyData: true,
      });
      const payload = randomBytes(4_000);
      expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
      await connection.handshake;
      expect(connection.tlsSession.isResumed).toBe(true);
      expect(connection.tlsSession.earlyData).toBe('accepted');
      connection.close();
    }
    expect(quicheServer.connections.slice(1).map((c) => c.isResumed())).toEqual([true, true, true]);
  }, 120_000);
});
