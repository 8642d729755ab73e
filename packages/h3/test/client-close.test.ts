/**
 * `Http3Client.close()` ends the connection with a CONNECTION_CLOSE that reaches the server:
 * the server drops the connection within seconds, not at the 30 s idle timeout. The client
 * connects by IP literal and by host name (`localhost`, whose address goes through DNS).
 */

import { text } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Http3Client } from '../src/http3/h3-client.js';
import { Http3Server } from '../src/http3/h3-server.js';
import { makeCredentials, type ServerCredentials } from './certs.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('Http3Client.close()', () => {
  for (const host of ['127.0.0.1', 'localhost']) {
    it(`the server sees the connection close promptly (client connected to ${host})`, async () => {
      const server = await Http3Server.listen({
        tls: { cert: creds.cert, key: creds.key },
        handler: () => text('hi'),
        onError: () => {},
      });
      onTestFinished(() => server.close());
      const client = await Http3Client.connect({
        host,
        port: server.address().port,
        serverName: 'localhost',
        ca: [creds.cert],
        // Both ends' idle timeout is 30 s: a lost CONNECTION_CLOSE would be noticed only then.
        maxIdleTimeoutMs: 30_000,
      });
      const res = await client.request({ path: '/' });
      expect(res.status).toBe(200);
      expect(server.connectionCount).toBe(1);
      const closedAt = Date.now();
      await client.close();
      // Generous for a loaded machine, still far below the idle timeout.
      await expect.poll(() => server.connectionCount, { timeout: 10_000, interval: 20 }).toBe(0);
      expect(Date.now() - closedAt).toBeLessThan(10_000);
    }, 60_000);
  }
});
