/**
 * Session resumption with an independent TLS stack: ngtcp2's client (`gtlsclient`, TLS by
 * GnuTLS) keeps the ticket our server sends in a session file and resumes with it on its next
 * connection, and with our server's earlyData on it sends its request in 0-RTT packets, which
 * we take. Without gtlsclient the test is skipped with the reason (a failure under CI=true).
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { requireCapability } from '@rws/test-helpers';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { hasCommand } from './helpers.js';

const HAS_GTLSCLIENT = hasCommand('gtlsclient');

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

function gtlsclient(port: number, args: readonly string[]): Promise<string> {
  return new Promise<string>((resolve) => {
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
}

describe("ngtcp2's gtlsclient resumes a session with our QUIC server (RFC 8446 §4.6.1, RFC 9001 §4.6)", () => {
  it('the second connection resumes with the ticket of the first, without a certificate', async (ctx) => {
    requireCapability(ctx, HAS_GTLSCLIENT, 'gtlsclient (apt-get install ngtcp2-client)');
    const connections: QuicConnection[] = [];
    const server = await QuicEndpoint.bind({
      tls: { cert: creds.cert, key: creds.key },
      alpn: ['h3'],
      onConnection: (connection) => {
        connections.push(connection);
        connection.onStream = (stream) => {
          void (async () => {
            for await (const _ of stream);
          })().catch(() => {});
        };
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'rws-h3-resume-'));
    onTestFinished(async () => {
      rmSync(dir, { recursive: true, force: true });
      await server.close();
    });
    const { port } = server.address();
    const files = [
      `--session-file=${join(dir, 'session')}`,
      `--tp-file=${join(dir, 'tp')}`,
      '--disable-early-data',
    ];
    const first = await gtlsclient(port, files);
    expect(first).toContain('QUIC handshake has been confirmed');
    const second = await gtlsclient(port, files);
    expect(second).toContain('QUIC handshake has been confirmed');
    expect(connections).toHaveLength(2);
    await connections[1]!.handshake;
    expect(connections[0]!.tlsSession.isResumed).toBe(false);
    expect(connections[1]!.tlsSession.isResumed).toBe(true);
  }, 30_000);

  it('sends its request in 0-RTT on the second connection, and we take it', async (ctx) => {
    requireCapability(ctx, HAS_GTLSCLIENT, 'gtlsclient (apt-get install ngtcp2-client)');
    const connections: QuicConnection[] = [];
    let requests = 0;
    const server = await QuicEndpoint.bind({
      tls: { cert: creds.cert, key: creds.key },
      alpn: ['h3'],
      earlyData: true,
      onConnection: (connection) => {
        connections.push(connection);
        connection.onStream = (stream) => {
          if (stream.id === 0) requests++;
          void (async () => {
            for await (const _ of stream);
          })().catch(() => {});
        };
      },
    });
    const dir = mkdtempSync(join(tmpdir(), 'rws-h3-0rtt-'));
    onTestFinished(async () => {
      rmSync(dir, { recursive: true, force: true });
      await server.close();
    });
    const { port } = server.address();
    const files = [`--session-file=${join(dir, 'session')}`, `--tp-file=${join(dir, 'tp')}`];
    await gtlsclient(port, files);
    const second = await gtlsclient(port, files);
    expect(second).toContain('QUIC handshake has been confirmed');
    expect(connections).toHaveLength(2);
    expect(connections[1]!.tlsSession.isResumed).toBe(true);
    expect(connections[1]!.tlsSession.earlyData).toBe('accepted');
    // Its log shows the request (stream 0, with FIN) leaving in a 0-RTT packet.
    expect(second).toMatch(/0RTT STREAM\(0x0b\) id=0x0 fin=1/);
    expect(requests).toBe(2);
  }, 30_000);
});
