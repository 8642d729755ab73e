/**
 * The circuit breaker's open state shared through a real Redis (127.0.0.1:6379) with the
 * node-redis client. Without Redis the suite is skipped with a visible reason, except in CI
 * (CI=true), where a missing Redis is a failure.
 */
import * as net from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createUpstream, type RedisLike } from '../src/index.js';
import { sleep } from './helpers.js';

const isCi = process.env['CI'] === 'true';

async function isRedisUp(): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(6379, '127.0.0.1');
    socket.setTimeout(500);
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
    socket.once('timeout', () => {
      socket.destroy();
      resolve(false);
    });
  });
}

const hasRedis = await isRedisUp();
if (!hasRedis && !isCi) {
  console.warn('[breaker-redis.test] skipped: no Redis on 127.0.0.1:6379');
}

describe('Redis is available in CI', () => {
  it.runIf(isCi)('Redis answers on 127.0.0.1:6379', () => {
    expect(hasRedis, 'CI=true requires Redis on 127.0.0.1:6379').toBe(true);
  });
});

describe.skipIf(!hasRedis)(
  hasRedis
    ? 'shared circuit breaker (Redis)'
    : 'shared circuit breaker (skipped: no Redis on 127.0.0.1:6379)',
  () => {
    const client = createClient({ url: 'redis://127.0.0.1:6379' });
    const prefix = `rws:test:proxy-cb:${process.pid}:${Date.now()}:`;

    beforeAll(async () => {
      await client.connect();
    });
    afterAll(async () => {
      const keys = await client.keys(`${prefix}*`);
      if (keys.length > 0) await client.del(keys);
      await client.quit();
    });

    it('one process opening a backend’s circuit opens it for the other, until openMs passes', async () => {
      const redis: RedisLike = client;
      // Two upstreams with the same name and prefix stand for two gateway processes.
      const options = {
        name: 'shared',
        backends: ['http://127.0.0.1:1'],
        outlierDetection: false as const,
        circuitBreaker: { failureThreshold: 2, openMs: 400, redis, keyPrefix: prefix, syncMs: 25 },
      };
      const one = createUpstream(options);
      const two = createUpstream(options);
      onTestFinished(async () => {
        await one.close();
        await two.close();
      });
      const req = { conn: { remoteAddress: '127.0.0.1' } } as never;
      expect(two.pick(req)).not.toBe(null);
      for (let i = 0; i < 2; i++) {
        const b = one.pick(req)!;
        b.begin();
        b.end('failure');
      }
      expect(one.backends[0]!.circuit).toBe('open');
      // The open state reached Redis and the other process's next sync.
      const stored = await client.get(`${prefix}shared:http://127.0.0.1:1`);
      expect(Number(stored)).toBeGreaterThan(Date.now());
      await sleep(100);
      expect(two.backends[0]!.circuit).toBe('open');
      expect(two.pick(req)).toBe(null);
      await sleep(400);
      expect(two.backends[0]!.circuit).toBe('half_open');
      expect(two.pick(req)).not.toBe(null);
    });
  },
);
