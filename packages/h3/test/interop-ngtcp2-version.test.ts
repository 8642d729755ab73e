/**
 * Version negotiation with an independent stack: ngtcp2's client (`gtlsclient` 0.12, which
 * knows QUIC v1 and only a draft of v2) sends version_information listing v1; our server,
 * though it prefers v2, stays in v1, and the client accepts our version_information (it checks
 * it as RFC 9368 §4 asks). Switching to v2 with it needs an ngtcp2 that speaks RFC 9369.
 * Without gtlsclient the test is skipped with the reason (a failure under CI=true).
 */
import { execFile } from 'node:child_process';
import { requireCapability } from '@rws/test-helpers';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { QUIC_V1, QUIC_V2 } from '../src/quic/version.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { hasCommand } from './helpers.js';

const HAS_GTLSCLIENT = hasCommand('gtlsclient');

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe("ngtcp2's gtlsclient and our server's version_information (RFC 9368)", () => {
  it('a v1 client that offers no v2 stays in v1 with a server that prefers v2', async (ctx) => {
    requireCapability(ctx, HAS_GTLSCLIENT, 'gtlsclient (apt-get install ngtcp2-client)');
    const connections: QuicConnection[] = [];
    const server = await QuicEndpoint.bind({
      tls: { cert: creds.cert, key: creds.key },
      alpn: ['h3'],
      versions: [QUIC_V2, QUIC_V1],
      onConnection: (connection) => {
        connections.push(connection);
        connection.onStream = (stream) => {
          void (async () => {
            for await (const _ of stream);
          })().catch(() => {});
        };
      },
    });
    onTestFinished(() => server.close());
    const { port } = server.address();
    const output = await new Promise<string>((resolve) => {
      execFile(
        'gtlsclient',
        [
          '--timeout=2s',
          '--exit-on-all-streams-close',
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
    expect(connections[0]!.version).toBe(QUIC_V1);
  }, 30_000);
});
