import { randomBytes } from 'node:crypto';
import { isRwsError } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { connectEcho, echo, echoPair, sha256 } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('congestion control over real UDP with induced loss (issue #20)', () => {
  it.each(['cubic', 'newreno'] as const)(
    '%s: a 1 MiB echo through a relay dropping 3 percent arrives intact, windows reduced on loss',
    async (congestionControl) => {
      const { port } = await echoPair(creds, { congestionControl });
      const relay = await startLossyRelay(port, { drop: 0.03, duplicate: 0, reorder: 0 }, 7);
      onTestFinished(() => relay.close());
      const connection = await connectEcho(creds, relay.port, { congestionControl });
      const payload = randomBytes(1024 * 1024);
      expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
      const stats = connection.stats;
      expect(stats.congestionControl).toBe(congestionControl);
      expect(relay.dropped()).toBeGreaterThan(0);
      expect(stats.packetsLost).toBeGreaterThan(0);
      // Losses of the client's own packets reduced its window at least once.
      expect(stats.congestionEvents).toBeGreaterThan(0);
    },
    60_000,
  );

  it('defaults to CUBIC and transfers without a relay', async () => {
    const { port } = await echoPair(creds);
    const connection = await connectEcho(creds, port);
    const payload = randomBytes(2 * 1024 * 1024);
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    expect(connection.stats.congestionControl).toBe('cubic');
  }, 60_000);

  it('rejects an unknown congestion controller by name', async () => {
    const err = await QuicEndpoint.bind({ congestionControl: 'bbr' as 'cubic' }).catch(
      (e: unknown) => e,
    );
    expect(isRwsError(err, 'RWS_H3_INVALID_OPTIONS')).toBe(true);
    expect((err as Error).message).toContain('got bbr');
  });
});
