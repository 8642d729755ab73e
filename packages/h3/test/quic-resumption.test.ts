import { isRwsError } from '@rws/core';
import { reserveUdpPort } from '@rws/test-helpers';
import { beforeAll, describe, expect, it } from 'vitest';
import { TLS_AES_256_GCM_SHA384 } from '../src/quic/crypto/cipher-suite.js';
import { type QuicConnectOptions, QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { GROUP } from '../src/quic/tls/key-exchange.js';
import type { SessionTicket } from '../src/quic/tls/session-ticket.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { echo, echoPair } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

/** Connects, echoes a byte, and waits for the session ticket the server sends afterwards. */
async function firstTicket(
  client: QuicEndpoint,
  options: QuicConnectOptions,
): Promise<SessionTicket> {
  let resolve!: (ticket: SessionTicket) => void;
  const received = new Promise<SessionTicket>((r) => {
    resolve = r;
  });
  const connection = await client.connect({ ...options, onSessionTicket: resolve });
  expect(connection.tlsSession.isResumed).toBe(false);
  expect(connection.tlsSession.peerCertificates?.length).toBeGreaterThan(0);
  expect([...(await echo(connection, Uint8Array.of(1)))]).toEqual([1]);
  const ticket = await received;
  expect(connection.tlsSession.sessionTicket).toBe(ticket);
  connection.close();
  return ticket;
}

describe('session resumption over UDP loopback (RFC 8446 §4.6.1, §2.2)', () => {
  it('a ticket resumes the session without a certificate, and the resumed one issues another', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await firstTicket(client, options);
    expect(ticket.alpn).toBe('echo');
    expect(ticket.lifetimeS).toBe(86_400);

    let second: SessionTicket | undefined;
    const resumed = await client.connect({
      ...options,
      sessionTicket: ticket,
      onSessionTicket: (t) => {
        second = t;
      },
    });
    expect(resumed.tlsSession.isResumed).toBe(true);
    // No Certificate came: the PSK authenticated the server.
    expect(resumed.tlsSession.peerCertificates).toBeUndefined();
    expect(accepted[1]!.tlsSession.isResumed).toBe(true);
    expect([...(await echo(resumed, Uint8Array.of(2, 3)))]).toEqual([2, 3]);
    expect(second).toBeDefined();
    expect(Buffer.from(second!.ticket).equals(Buffer.from(ticket.ticket))).toBe(false);
  });

  it('resumes after a HelloRetryRequest (the binder covers the retry transcript)', async () => {
    const { client, port, accepted } = await echoPair(creds, { groups: [GROUP.SECP256R1] });
    const options = {
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
      keyShares: [GROUP.X25519],
    };
    const ticket = await firstTicket(client, options);
    const resumed = await client.connect({ ...options, sessionTicket: ticket });
    expect(resumed.tlsSession.isResumed).toBe(true);
    expect(accepted[1]!.tlsSession.isResumed).toBe(true);
    expect([...(await echo(resumed, Uint8Array.of(9)))]).toEqual([9]);
  });

  it('resumes with TLS_AES_256_GCM_SHA384 (a 48-byte binder)', async () => {
    const { port } = await echoPair(creds, { cipherSuites: [TLS_AES_256_GCM_SHA384] });
    await using client = await QuicEndpoint.bind({ cipherSuites: [TLS_AES_256_GCM_SHA384] });
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await firstTicket(client, options);
    expect(ticket.psk.length).toBe(48);
    const resumed = await client.connect({ ...options, sessionTicket: ticket });
    expect(resumed.tlsSession.isResumed).toBe(true);
    expect(resumed.cipherSuite).toBe('TLS_AES_256_GCM_SHA384');
  });

  it('a tampered ticket falls back to a full handshake', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await firstTicket(client, options);
    const forged = ticket.ticket.slice();
    forged[forged.length - 20]! ^= 0x01;
    const connection = await client.connect({
      ...options,
      sessionTicket: { ...ticket, ticket: forged },
    });
    expect(connection.tlsSession.isResumed).toBe(false);
    expect(connection.tlsSession.peerCertificates?.length).toBeGreaterThan(0);
    expect(accepted[1]!.tlsSession.isResumed).toBe(false);
    expect([...(await echo(connection, Uint8Array.of(4)))]).toEqual([4]);
  });

  it("another server's ticket (a restarted server, new keys) falls back to a full handshake", async () => {
    const first = await echoPair(creds);
    const ticket = await firstTicket(first.client, {
      host: '127.0.0.1',
      port: first.port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    const second = await echoPair(creds);
    const connection = await second.client.connect({
      host: '127.0.0.1',
      port: second.port,
      alpn: ['echo'],
      ca: [creds.ca],
      sessionTicket: ticket,
    });
    expect(connection.tlsSession.isResumed).toBe(false);
  });

  it('an expired ticket falls back to a full handshake (the server checks the age)', async () => {
    const { client, port, accepted } = await echoPair(creds, { sessionTickets: { lifetimeS: 1 } });
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await firstTicket(client, options);
    expect(ticket.lifetimeS).toBe(1);
    await new Promise((r) => setTimeout(r, 1_200));
    // The client would not offer it; make it believe the ticket is fresh so the server decides.
    const connection = await client.connect({
      ...options,
      sessionTicket: { ...ticket, lifetimeS: 3600, receivedAt: Date.now() },
    });
    expect(connection.tlsSession.isResumed).toBe(false);
    expect(accepted[1]!.tlsSession.isResumed).toBe(false);
  });

  it('a ticket for another server name is refused (the server checks SNI)', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const ticket = await firstTicket(client, {
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect(ticket.serverName).toBe('localhost');
    // Connecting by IP sends no SNI; relabel the ticket so the client offers it anyway.
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
      sessionTicket: { ...ticket, serverName: '127.0.0.1' },
    });
    expect(connection.tlsSession.isResumed).toBe(false);
    expect(accepted[1]!.tlsSession.isResumed).toBe(false);
  });

  it('a ticket for another ALPN protocol is refused (the server checks ALPN)', async () => {
    const { client, port, accepted } = await echoPair(creds, { alpn: ['echo', 'other'] });
    const options = { host: '127.0.0.1', port, ca: [creds.ca] };
    const ticket = await firstTicket(client, { ...options, alpn: ['echo'] });
    const connection = await client.connect({
      ...options,
      alpn: ['other'],
      sessionTicket: { ...ticket, alpn: 'other' },
    });
    expect(connection.alpn).toBe('other');
    expect(connection.tlsSession.isResumed).toBe(false);
    expect(accepted[1]!.tlsSession.isResumed).toBe(false);
  });

  it('a valid ticket with the wrong PSK fails the binder check (decrypt_error)', async () => {
    const { client, port } = await echoPair(creds);
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const ticket = await firstTicket(client, options);
    const psk = ticket.psk.slice();
    psk[0]! ^= 0xff;
    const err = await client
      .connect({ ...options, sessionTicket: { ...ticket, psk } })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H3_PEER_CLOSED')).toBe(true);
    // CRYPTO_ERROR 0x100 + decrypt_error (51).
    expect((err as { transportCode: number }).transportCode).toBe(0x133);
  });

  it('sessionTickets: false issues none', async () => {
    const { client, port } = await echoPair(creds, { sessionTickets: false });
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect([...(await echo(connection, Uint8Array.of(1)))]).toEqual([1]);
    expect(connection.tlsSession.sessionTicket).toBeUndefined();
  });

  it('rejects a ticket lifetime over seven days, leaving its port free', async () => {
    const port = await reserveUdpPort();
    await expect(
      QuicEndpoint.bind({ port, sessionTickets: { lifetimeS: 8 * 86_400 } }),
    ).rejects.toThrow(/lifetimeS must be an integer from 1 to 604800/);
    // The socket was bound before the options were checked, and used to stay bound.
    const again = await QuicEndpoint.bind({ port });
    await again.close();
  });

  it('resumes through a relay that drops, duplicates and reorders 10% of datagrams', async () => {
    const { client, port } = await echoPair(creds);
    const relay = await startLossyRelay(port, { drop: 0.1, duplicate: 0.1, reorder: 0.1 }, 7);
    try {
      const options = { host: '127.0.0.1', port: relay.port, alpn: ['echo'], ca: [creds.ca] };
      const ticket = await firstTicket(client, options);
      for (let i = 0; i < 3; i++) {
        const resumed = await client.connect({ ...options, sessionTicket: ticket });
        expect(resumed.tlsSession.isResumed).toBe(true);
        const payload = Buffer.alloc(50_000, i);
        expect((await echo(resumed, payload)).equals(payload)).toBe(true);
        resumed.close();
      }
    } finally {
      await relay.close();
    }
  }, 30_000);
});
