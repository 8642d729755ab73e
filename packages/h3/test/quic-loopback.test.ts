import { createHash, randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { isRwsError } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import {
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
} from '../src/quic/crypto/cipher-suite.js';
import { parsePacketHeader } from '../src/quic/packet-header.js';
import type { QuicEndpointOptions } from '../src/quic/quic-endpoint.js';
import type { QuicStream } from '../src/quic/quic-stream.js';
import { GROUP } from '../src/quic/tls/key-exchange.js';
import { QUIC_V1, QUIC_V2 } from '../src/quic/version.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { collect, echoPair as echoPairWith } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

function echoPair(serverOptions: Partial<QuicEndpointOptions> = {}) {
  return echoPairWith(creds, serverOptions);
}

describe('QUIC over UDP loopback, our client and our server', () => {
  it('completes the handshake and agrees on ALPN', async () => {
    const { client, port, accepted } = await echoPair();
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect(connection.alpn).toBe('echo');
    await accepted[0]!.handshake;
    expect(accepted[0]!.alpn).toBe('echo');
  });

  it('copies written bytes, so a caller may reuse its buffer once write() resolves', async () => {
    const { client, port } = await echoPair();
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    const stream = connection.openStream();
    const reply = collect(stream);
    // Two writes from one reused buffer, each refilled right after write() resolved (long
    // before all of it is sent at 1200-byte packets).
    const buf = Buffer.alloc(100_000, 1);
    await stream.write(buf);
    buf.fill(2);
    await stream.write(buf);
    buf.fill(3);
    stream.end();
    const echoed = await reply;
    expect(echoed.length).toBe(200_000);
    expect(echoed.subarray(0, 100_000).every((b) => b === 1)).toBe(true);
    expect(echoed.subarray(100_000).every((b) => b === 2)).toBe(true);
  });

  it('sends a list of chunks written at once as one piece, copied', async () => {
    const { client, port } = await echoPair();
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    const stream = connection.openStream();
    const reply = collect(stream);
    const head = Uint8Array.of(0xaa, 0xbb);
    const body = randomBytes(300_000);
    const expected = Buffer.concat([head, body, head, Buffer.alloc(0)]);
    await stream.write([head, body, head, new Uint8Array(0)]);
    body.fill(0);
    head.fill(0);
    stream.end();
    expect((await reply).equals(expected)).toBe(true);
  });

  it.each([
    ['TLS_AES_128_GCM_SHA256', TLS_AES_128_GCM_SHA256, GROUP.X25519],
    ['TLS_AES_256_GCM_SHA384', TLS_AES_256_GCM_SHA384, GROUP.SECP256R1],
    ['TLS_CHACHA20_POLY1305_SHA256', TLS_CHACHA20_POLY1305_SHA256, GROUP.X25519],
  ] as const)('echoes bytes on a bidirectional stream with %s', async (_name, suite, group) => {
    const { client, port } = await echoPair({ cipherSuites: [suite] });
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
      groups: [group],
    });
    const stream = connection.openStream();
    const reply = collect(stream);
    await stream.write(new TextEncoder().encode('hello over quic'));
    stream.end();
    expect((await reply).toString()).toBe('hello over quic');
  });

  it('speaks QUIC version 2 when the client starts with it', async () => {
    const { client, port } = await echoPair();
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
      version: QUIC_V2,
    });
    const stream = connection.openStream();
    const reply = collect(stream);
    await stream.write(Uint8Array.of(1, 2, 3));
    stream.end();
    expect([...(await reply)]).toEqual([1, 2, 3]);
  });

  it('transfers 1 MB each way on 4 concurrent streams with small flow-control windows', async () => {
    const { client, port } = await echoPair({
      transport: { maxData: 256 * 1024, maxStreamData: 64 * 1024 },
    });
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    const size = 256 * 1024;
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        const payload = randomBytes(size);
        const stream = connection.openStream();
        const reply = collect(stream);
        for (let i = 0; i < size; i += 10_000) await stream.write(payload.subarray(i, i + 10_000));
        stream.end();
        const echoed = await reply;
        expect(echoed.length).toBe(size);
        expect(createHash('sha256').update(echoed).digest('hex')).toBe(
          createHash('sha256').update(payload).digest('hex'),
        );
      }),
    );
    expect(connection.stats.packetsSent).toBeGreaterThan(200);
  }, 60_000);

  it('fails the handshake with a CRYPTO_ERROR when the certificate is not trusted', async () => {
    const { client, port } = await echoPair();
    const other = makeCredentials('ec');
    const err = await client
      .connect({ host: '127.0.0.1', port, alpn: ['echo'], ca: [other.ca] })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H3_CRYPTO_ERROR')).toBe(true);
    expect((err as { transportCode: number }).transportCode).toBe(0x100 + 42);
  });

  it('tells the client when the server refuses its ALPN', async () => {
    const { client, port } = await echoPair();
    const err = await client
      .connect({ host: '127.0.0.1', port, alpn: ['h3'], ca: [creds.ca] })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H3_PEER_CLOSED')).toBe(true);
    expect((err as Error).message).toMatch(/transport error 0x178/);
  });

  it('closes cleanly: the peer sees closed resolve without an error', async () => {
    const { client, port, accepted } = await echoPair();
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    await accepted[0]!.handshake;
    connection.close();
    expect(await accepted[0]!.closed).toBe(undefined);
  });

  it('answers an unknown version with Version Negotiation and ignores garbage', async () => {
    const { port, server } = await echoPair();
    const socket = createSocket('udp4');
    onTestFinished(() => {
      socket.close();
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
    // Garbage with the fixed bit clear: not a packet, so not answered with a stateless reset.
    const garbage = randomBytes(300);
    garbage[0] = 0;
    socket.send(garbage, port, '127.0.0.1');
    const probe = Buffer.alloc(1200);
    probe.set([0xc0, 0x1a, 0x2a, 0x3a, 0x4a, 8, 1, 2, 3, 4, 5, 6, 7, 8, 4, 9, 9, 9, 9]);
    socket.send(probe, port, '127.0.0.1');
    const vn = parsePacketHeader(new Uint8Array(await reply), 0, 0);
    expect(vn?.form).toBe('version-negotiation');
    if (vn?.form !== 'version-negotiation') return;
    expect([...vn.dcid]).toEqual([9, 9, 9, 9]);
    expect([...vn.scid]).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
    expect(vn.versions).toEqual([QUIC_V1, QUIC_V2]);
    expect(server.connectionCount).toBe(0);
  });

  it('keeps no state for an Initial that does not authenticate, and keeps serving', async () => {
    const { port, server, client, accepted } = await echoPair();
    const socket = createSocket('udp4');
    onTestFinished(() => {
      socket.close();
    });
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
    // Well-formed v1 Initial headers with random "protected" payloads: spoofed garbage.
    for (let i = 0; i < 50; i++) {
      const datagram = randomBytes(1200);
      datagram.set([0xc0, 0, 0, 0, 1, 8], 0);
      datagram.set([0, 0, 0x44, 0x96], 6 + 8);
      socket.send(datagram, port, '127.0.0.1');
    }
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    const stream = connection.openStream();
    const reply = collect(stream);
    await stream.write(Uint8Array.of(7));
    stream.end();
    expect([...(await reply)]).toEqual([7]);
    expect(accepted).toHaveLength(1);
    expect(server.connectionCount).toBe(1);
  });

  it('retires finished streams and grants MAX_STREAMS credit: 60 streams through a limit of 10', async () => {
    const { client, port, accepted } = await echoPair({ transport: { maxStreamsBidi: 10 } });
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    for (let i = 0; i < 60; i++) {
      let stream: QuicStream | undefined;
      // The credit for a finished stream arrives shortly after its last ACK; wait for it.
      for (let attempt = 0; stream === undefined; attempt++) {
        try {
          stream = connection.openStream();
        } catch (err) {
          if (!isRwsError(err, 'RWS_H3_TRANSPORT_ERROR') || attempt > 500) throw err;
          await new Promise((resolve) => setTimeout(resolve, 10));
        }
      }
      const reply = collect(stream);
      await stream.write(Uint8Array.of(i));
      stream.end();
      expect([...(await reply)]).toEqual([i]);
    }
    // Finished streams are forgotten on both sides (bounded memory per connection).
    await new Promise((resolve) => setTimeout(resolve, 100));
    expect(accepted[0]!.streamCount).toBeLessThanOrEqual(1);
    expect(connection.streamCount).toBeLessThanOrEqual(1);
  });
});
