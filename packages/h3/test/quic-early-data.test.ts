import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import {
  type QuicConnectOptions,
  QuicEndpoint,
  type QuicEndpointOptions,
} from '../src/quic/quic-endpoint.js';
import { GROUP } from '../src/quic/tls/key-exchange.js';
import type { SessionTicket } from '../src/quic/tls/session-ticket.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { collect } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

/** What the server saw of each stream: whether its handshake was complete when it arrived. */
interface Arrival {
  readonly connection: QuicConnection;
  readonly isHandshakeComplete: boolean;
}

/** An echo server that notes, per stream, whether the stream came before the handshake ended. */
async function earlyEchoServer(options: Partial<QuicEndpointOptions> = {}): Promise<{
  port: number;
  arrivals: Arrival[];
  accepted: QuicConnection[];
}> {
  const arrivals: Arrival[] = [];
  const accepted: QuicConnection[] = [];
  const server = await QuicEndpoint.bind({
    tls: { cert: creds.cert, key: creds.key },
    alpn: ['echo'],
    earlyData: true,
    onConnection: (connection) => {
      accepted.push(connection);
      let isComplete = false;
      connection.handshake.then(
        () => {
          isComplete = true;
        },
        () => {},
      );
      connection.onStream = (stream) => {
        arrivals.push({ connection, isHandshakeComplete: isComplete });
        void (async () => {
          for await (const chunk of stream) await stream.write(chunk);
          stream.end();
        })().catch(() => {});
      };
    },
    ...options,
  });
  onTestFinished(() => server.close());
  return { port: server.address().port, arrivals, accepted };
}

async function clientEndpoint(): Promise<QuicEndpoint> {
  const client = await QuicEndpoint.bind();
  onTestFinished(() => client.close());
  return client;
}

/** A full handshake that returns the ticket the server sends after it. */
async function ticketFrom(
  client: QuicEndpoint,
  options: QuicConnectOptions,
): Promise<SessionTicket> {
  let resolve!: (ticket: SessionTicket) => void;
  const received = new Promise<SessionTicket>((r) => {
    resolve = r;
  });
  const connection = await client.connect({ ...options, onSessionTicket: resolve });
  const ticket = await received;
  connection.close();
  return ticket;
}

/** Writes `payload` on a new stream at once (0-RTT when the keys allow) and collects the echo. */
async function sendEarly(connection: QuicConnection, payload: Uint8Array): Promise<Buffer> {
  const stream = connection.openStream();
  const reply = collect(stream);
  await stream.write(payload);
  stream.end();
  return reply;
}

describe('0-RTT over UDP loopback (RFC 9001 §4.6, RFC 8446 §4.2.10)', () => {
  it('early data reaches the server before the handshake completes when it is accepted', async () => {
    const { port, arrivals, accepted } = await earlyEchoServer();
    const client = await clientEndpoint();
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await ticketFrom(client, options);
    expect(ticket.maxEarlyData).toBe(0xffffffff);
    expect(ticket.transportParameters).toBeDefined();

    const connection = await client.connect({ ...options, sessionTicket: ticket, earlyData: true });
    // connect() returned before the handshake: the stream goes out in 0-RTT packets.
    expect(connection.tlsSession.earlyData).toBe('offered');
    const payload = Buffer.alloc(5_000, 7);
    expect((await sendEarly(connection, payload)).equals(payload)).toBe(true);
    await connection.handshake;
    expect(connection.tlsSession.earlyData).toBe('accepted');
    expect(connection.tlsSession.isResumed).toBe(true);
    const server = accepted[1]!;
    expect(server.tlsSession.earlyData).toBe('accepted');
    expect(arrivals.at(-1)).toEqual({ connection: server, isHandshakeComplete: false });
  });

  it('SSLKEYLOGFILE gets the client early traffic secret of a 0-RTT connection', async () => {
    const { port } = await earlyEchoServer();
    const dir = mkdtempSync(join(tmpdir(), 'rws-h3-0rtt-keylog-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const keyLogFile = join(dir, 'keys.log');
    const client = await QuicEndpoint.bind({ keyLogFile });
    onTestFinished(() => client.close());
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await ticketFrom(client, options);
    const connection = await client.connect({ ...options, sessionTicket: ticket, earlyData: true });
    expect([...(await sendEarly(connection, Uint8Array.of(6)))]).toEqual([6]);
    const lines = readFileSync(keyLogFile, 'utf8').trim().split('\n');
    // One early secret, for the second (resumed) connection only.
    expect(lines.filter((l) => l.startsWith('CLIENT_EARLY_TRAFFIC_SECRET '))).toHaveLength(1);
  });

  it('a replayed ticket gets no 0-RTT: the data goes again in 1-RTT and still arrives once', async () => {
    const { port, arrivals, accepted } = await earlyEchoServer();
    const client = await clientEndpoint();
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await ticketFrom(client, options);
    const first = await client.connect({ ...options, sessionTicket: ticket, earlyData: true });
    expect([...(await sendEarly(first, Uint8Array.of(1, 2)))]).toEqual([1, 2]);
    await first.handshake;
    expect(first.tlsSession.earlyData).toBe('accepted');

    const replay = await client.connect({ ...options, sessionTicket: ticket, earlyData: true });
    expect(replay.tlsSession.earlyData).toBe('offered');
    const payload = Buffer.alloc(3_000, 3);
    expect((await sendEarly(replay, payload)).equals(payload)).toBe(true);
    expect(replay.tlsSession.earlyData).toBe('rejected');
    // The ticket still resumes the session; only its early data is refused.
    expect(replay.tlsSession.isResumed).toBe(true);
    const server = accepted[2]!;
    expect(server.tlsSession.earlyData).toBeUndefined();
    // One stream, delivered once (from 1-RTT packets; the 0-RTT ones could not be read).
    expect(arrivals.filter((a) => a.connection === server)).toHaveLength(1);
  });

  it('a HelloRetryRequest rejects 0-RTT; the data follows in 1-RTT', async () => {
    const { port, accepted } = await earlyEchoServer({ groups: [GROUP.SECP256R1] });
    const client = await clientEndpoint();
    const options = {
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
      keyShares: [GROUP.X25519],
    };
    const ticket = await ticketFrom(client, options);
    const connection = await client.connect({ ...options, sessionTicket: ticket, earlyData: true });
    const payload = Buffer.alloc(2_000, 5);
    expect((await sendEarly(connection, payload)).equals(payload)).toBe(true);
    expect(connection.tlsSession.earlyData).toBe('rejected');
    expect(accepted[1]!.tlsSession.earlyData).toBeUndefined();
  });

  it('a server without earlyData issues tickets without it, and the client waits for the handshake', async () => {
    const { port } = await earlyEchoServer({ earlyData: false });
    const client = await clientEndpoint();
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await ticketFrom(client, options);
    expect(ticket.maxEarlyData).toBe(0);
    const connection = await client.connect({ ...options, sessionTicket: ticket, earlyData: true });
    expect(connection.tlsSession.earlyData).toBeUndefined();
    expect(connection.tlsSession.isResumed).toBe(true);
    expect([...(await sendEarly(connection, Uint8Array.of(8)))]).toEqual([8]);
  });

  it('accepted and refused 0-RTT through a relay that drops, duplicates and reorders 10% of datagrams', async () => {
    const { port } = await earlyEchoServer();
    const relay = await startLossyRelay(port, { drop: 0.1, duplicate: 0.1, reorder: 0.1 }, 11);
    onTestFinished(() => relay.close());
    const client = await clientEndpoint();
    const options = { host: '127.0.0.1', port: relay.port, alpn: ['echo'], ca: [creds.ca] };
    let ticket = await ticketFrom(client, options);
    const outcomes: string[] = [];
    for (let i = 0; i < 6; i++) {
      let next!: (t: SessionTicket) => void;
      const nextTicket = new Promise<SessionTicket>((r) => {
        next = r;
      });
      const connection = await client.connect({
        ...options,
        sessionTicket: ticket,
        earlyData: true,
        onSessionTicket: next,
      });
      const payload = Buffer.alloc(20_000, i);
      expect((await sendEarly(connection, payload)).equals(payload)).toBe(true);
      await connection.handshake;
      outcomes.push(connection.tlsSession.earlyData ?? 'none');
      // Odd rounds replay the ticket of the round before: their 0-RTT is refused.
      if (i % 2 === 1) ticket = await nextTicket;
      connection.close();
    }
    // Lost 0-RTT packets go again (in 1-RTT once the handshake is done), and so does the
    // data of refused 0-RTT: every echo above came back intact either way.
    expect(outcomes).toEqual([
      'accepted',
      'rejected',
      'accepted',
      'rejected',
      'accepted',
      'rejected',
    ]);
  }, 60_000);
});
