/**
 * Interop with an independent QUIC stack: ngtcp2's client (`gtlsclient`, Debian package
 * ngtcp2-client, TLS by GnuTLS) against our server. It speaks HTTP/3, which is not written yet,
 * so the test checks the QUIC layer: the handshake completes on both sides (the client reports
 * it confirmed after our HANDSHAKE_DONE) and its request stream and control streams arrive.
 * Without gtlsclient the test is skipped with the reason (a failure under CI=true).
 */
import { execFile } from 'node:child_process';
import { requireCapability } from '@rws/test-helpers';
import { beforeAll, describe, expect, it, onTestFinished, type TestContext } from 'vitest';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import { QuicEndpoint, type QuicEndpointOptions } from '../src/quic/quic-endpoint.js';
import type { QuicStream } from '../src/quic/quic-stream.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { hasCommand } from './helpers.js';

const HAS_GTLSCLIENT = hasCommand('gtlsclient');

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe("ngtcp2's gtlsclient against our QUIC server", () => {
  async function handshakeWithGtlsclient(
    ctx: TestContext,
    keyType: 'ec' | 'rsa',
    {
      args = [],
      suite = 'TLS_AES_128_GCM_SHA256',
      respondAfterMs,
      server: serverOptions = {},
    }: {
      readonly args?: readonly string[];
      readonly suite?: string;
      /** Answer the request stream after this long (a minimal HTTP/3 response). */
      readonly respondAfterMs?: number;
      readonly server?: Partial<QuicEndpointOptions>;
    } = {},
  ): Promise<QuicConnection> {
    requireCapability(ctx, HAS_GTLSCLIENT, 'gtlsclient (apt-get install ngtcp2-client)');
    const serverCreds = keyType === 'ec' ? creds : makeCredentials('rsa');
    const connections: QuicConnection[] = [];
    const streams: QuicStream[] = [];
    const server = await QuicEndpoint.bind({
      tls: { cert: serverCreds.cert, key: serverCreds.key },
      alpn: ['h3'],
      ...serverOptions,
      onConnection: (connection) => {
        connections.push(connection);
        connection.onStream = (stream) => {
          streams.push(stream);
          if (stream.id === 0 && respondAfterMs !== undefined) {
            // A minimal HTTP/3 response: HEADERS with QPACK static entry 25 (:status 200).
            setTimeout(() => {
              void stream
                .write(Uint8Array.of(0x01, 0x03, 0x00, 0x00, 0xd9))
                .then(() => stream.end());
            }, respondAfterMs);
          }
          void (async () => {
            for await (const _ of stream);
          })().catch(() => {});
        };
      },
    });
    onTestFinished(() => server.close());
    const { port } = server.address();
    // The client waits for an HTTP/3 response that never comes; its 2 s idle timeout ends it.
    const output = await new Promise<string>((resolve) => {
      execFile(
        'gtlsclient',
        [
          '--timeout=2s',
          '--exit-on-all-streams-close',
          ...args,
          '127.0.0.1',
          String(port),
          `https://localhost:${port}/`,
        ],
        { timeout: 15_000 },
        (_err, stdout, stderr) => resolve(`${stdout}\n${stderr}`),
      );
    });
    expect(output).toContain('QUIC handshake has been confirmed');
    expect(connections).toHaveLength(1);
    await connections[0]!.handshake;
    expect(connections[0]!.alpn).toBe('h3');
    expect(connections[0]!.cipherSuite).toBe(suite);
    // Stream 0 carries the request; 2, 6 and 10 are its control and QPACK streams.
    expect(streams.map((s) => s.id).sort((a, b) => a - b)).toEqual([0, 2, 6, 10]);
    return connections[0]!;
  }

  it(
    'completes the handshake with an ECDSA certificate and opens streams',
    (ctx) => handshakeWithGtlsclient(ctx, 'ec'),
    30_000,
  );

  it('follows a key update started by the client (RFC 9001 §6)', async (ctx) => {
    // The client starts the update 200 ms after the handshake; our response 600 ms later makes
    // it send (and us receive) packets with the new keys.
    const connection = await handshakeWithGtlsclient(ctx, 'ec', {
      args: ['--key-update=200ms'],
      respondAfterMs: 600,
    });
    expect(connection.stats.keyUpdates).toBeGreaterThanOrEqual(1);
  }, 30_000);

  it(
    'follows our Retry when the server requires address validation',
    (ctx) => handshakeWithGtlsclient(ctx, 'ec', { server: { requireAddressValidation: true } }),
    30_000,
  );

  it(
    'completes the handshake with an RSA certificate (RSA-PSS) and opens streams',
    (ctx) => handshakeWithGtlsclient(ctx, 'rsa'),
    30_000,
  );

  it(
    'negotiates ChaCha20-Poly1305 and P-256 when the client offers only those',
    (ctx) =>
      handshakeWithGtlsclient(ctx, 'ec', {
        args: [
          '--ciphers=NORMAL:-VERS-ALL:+VERS-TLS1.3:-CIPHER-ALL:+CHACHA20-POLY1305',
          '--groups=-GROUP-ALL:+GROUP-SECP256R1',
        ],
        suite: 'TLS_CHACHA20_POLY1305_SHA256',
      }),
    30_000,
  );
});
