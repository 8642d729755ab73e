/**
 * Health checks, outlier detection, retries and the circuit breaker against real node:http
 * backends, including failure injection under a bounded load.
 */
import type * as http from 'node:http';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createUpstream,
  getProxyInfo,
  reverseProxy,
  type Upstream,
  type UpstreamOptions,
} from '../src/index.js';
import { backend, deadPort, serveProxy, sleep } from './helpers.js';

function upstream(options: UpstreamOptions): Upstream {
  const u = createUpstream(options);
  onTestFinished(() => u.close());
  return u;
}

/** A backend whose status (and health status) the test changes while it runs. */
async function switchable(label: string) {
  const state = { status: 200, health: 200, requests: 0 };
  const b = await backend((req, res) => {
    if (req.url === '/health') {
      res.writeHead(state.health).end();
      return;
    }
    state.requests++;
    res.writeHead(state.status, { 'content-type': 'text/plain' }).end(label);
  });
  return { ...b, state };
}

async function waitFor(predicate: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

/** Runs `total` requests, `concurrency` at a time; returns the statuses in order. */
async function load(
  url: string,
  total: number,
  concurrency: number,
  init?: RequestInit,
  onEach?: (i: number) => void,
): Promise<number[]> {
  const statuses: number[] = new Array(total);
  let next = 0;
  async function worker(): Promise<void> {
    while (next < total) {
      const i = next++;
      onEach?.(i);
      try {
        const res = await fetch(url, init);
        await res.arrayBuffer();
        statuses[i] = res.status;
      } catch {
        statuses[i] = -1;
      }
    }
  }
  await Promise.all(Array.from({ length: concurrency }, worker));
  return statuses;
}

describe('active health checks', () => {
  it('takes a backend out after unhealthyThreshold failed probes and back after healthyThreshold', async () => {
    const a = await switchable('a');
    const b = await switchable('b');
    const u = upstream({
      name: 'hc',
      backends: [a.origin, b.origin],
      healthCheck: {
        path: '/health',
        intervalMs: 30,
        timeoutMs: 500,
        unhealthyThreshold: 2,
        healthyThreshold: 2,
      },
    });
    const p = await serveProxy(reverseProxy({ upstream: u }));
    b.state.health = 503;
    await waitFor(() => u.backends[1]!.healthy === false);
    expect(u.backends[1]!.healthChecksFailed).toBeGreaterThanOrEqual(2);
    // A live update (reload, discovery) keeps the health state of backends that stay.
    u.update([b.origin, a.origin]);
    expect(u.backends.map((x) => x.healthy)).toEqual([false, true]);
    u.update([a.origin, b.origin]);
    const before = b.state.requests;
    const bodies = await Promise.all(
      Array.from({ length: 10 }, async () => (await fetch(`${p}/`)).text()),
    );
    expect(bodies.every((t) => t === 'a')).toBe(true);
    expect(b.state.requests).toBe(before);
    b.state.health = 200;
    await waitFor(() => u.backends[1]!.healthy === true);
    const after = await Promise.all(
      Array.from({ length: 10 }, async () => (await fetch(`${p}/`)).text()),
    );
    expect(after).toContain('b');
    expect(u.metrics()).toMatch(
      /rws_upstream_backend_healthy\{upstream="hc",backend="http:\/\/127\.0\.0\.1:\d+"\} 1/,
    );
  });

  it('a probe that times out counts as failed; with every backend down the answer is 503 unless failOpen', async () => {
    const a = await backend((req, res) => {
      if (req.url === '/health') return; // never answers
      res.end('a');
    });
    const u = upstream({
      name: 'slow',
      backends: [a.origin],
      healthCheck: { intervalMs: 30, timeoutMs: 50, unhealthyThreshold: 1 },
    });
    const p = await serveProxy(reverseProxy({ upstream: u }));
    await waitFor(() => u.backends[0]!.healthy === false);
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('503 Service Unavailable: no backend available\n');
    const open = upstream({
      name: 'open',
      backends: [a.origin],
      failOpen: true,
      healthCheck: { intervalMs: 30, timeoutMs: 50, unhealthyThreshold: 1 },
    });
    const q = await serveProxy(reverseProxy({ upstream: open }));
    await waitFor(() => open.backends[0]!.healthy === false);
    expect(await (await fetch(`${q}/`)).text()).toBe('a');
  });
});

// Load-driven cases: generous test timeouts, as on a loaded 2-core CI machine they run for seconds.
describe('outlier detection', { timeout: 30_000 }, () => {
  it('ejects a backend answering 5xx for a growing period, then takes it back', async () => {
    const a = await switchable('a');
    const b = await switchable('b');
    b.state.status = 500;
    const u = upstream({
      name: 'od',
      backends: [a.origin, b.origin],
      outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 300, maxEjectionMs: 2000 },
    });
    // No retry on 5xx here: the test counts what the backend itself answered.
    const p = await serveProxy(reverseProxy({ upstream: u, retry: { attempts: 1 } }));
    const statuses = await load(`${p}/`, 20, 1);
    // Round robin: b gets every other request until its third 500 ejects it.
    expect(statuses.filter((s) => s === 500).length).toBe(3);
    expect(u.backends[1]!.ejected).toBe(true);
    expect(u.backends[1]!.ejections).toBe(1);
    await sleep(330);
    expect(u.backends[1]!.ejected).toBe(false);
    // Still failing: ejected again, now for twice as long.
    await load(`${p}/`, 6, 1);
    expect(u.backends[1]!.ejections).toBe(2);
    await sleep(330);
    expect(u.backends[1]!.ejected).toBe(true);
    b.state.status = 200;
    await sleep(400);
    const healed = await load(`${p}/`, 10, 1);
    expect(healed.every((s) => s === 200)).toBe(true);
    expect(b.state.requests).toBeGreaterThan(6);
    expect(u.metrics()).toContain('rws_upstream_backend_ejections_total');
  });

  it('never ejects more than maxEjectionPercent of the backends', async () => {
    const a = await switchable('a');
    const b = await switchable('b');
    a.state.status = 500;
    b.state.status = 500;
    const u = upstream({
      name: 'pct',
      backends: [a.origin, b.origin],
      outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 10_000, maxEjectionPercent: 50 },
    });
    const p = await serveProxy(reverseProxy({ upstream: u, retry: { attempts: 1 } }));
    await load(`${p}/`, 12, 1);
    expect(u.backends.filter((x) => x.ejected).length).toBe(1);
  });

  it('failure injection: a backend killed under load is ejected; idempotent requests never fail', async () => {
    const servers: http.Server[] = [];
    const bs = await Promise.all(['a', 'b', 'c'].map((l) => switchable(l)));
    for (const b of bs) servers.push(b.server);
    const u = upstream({
      name: 'kill',
      backends: bs.map((b) => b.origin),
      outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 60_000 },
    });
    const p = await serveProxy(
      reverseProxy({ upstream: u, retry: { attempts: 3, budgetPercent: 100 } }),
    );
    const statuses = await load(`${p}/`, 300, 8, undefined, (i) => {
      if (i === 60) {
        servers[2]!.closeAllConnections();
        servers[2]!.close();
      }
    });
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(u.backends[2]!.ejected).toBe(true);
    // The live backends took the load after the kill.
    expect(bs[0]!.state.requests + bs[1]!.state.requests).toBeGreaterThan(200);
  });

  it('failure injection: one backend answering 500 is ejected; GETs are retried on another', async () => {
    const bs = await Promise.all(['a', 'b', 'c'].map((l) => switchable(l)));
    bs[1]!.state.status = 503;
    const u = upstream({
      name: 'sick',
      backends: bs.map((b) => b.origin),
      outlierDetection: { consecutiveFailures: 3, baseEjectionMs: 60_000 },
    });
    const p = await serveProxy(
      reverseProxy({ upstream: u, retry: { attempts: 2, budgetPercent: 100 } }),
    );
    const statuses = await load(`${p}/`, 200, 4);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(u.backends[1]!.ejected).toBe(true);
    expect(bs[1]!.state.requests).toBeLessThanOrEqual(3 + 4);
  });
  it('failure injection: a slow backend times out (504 avoided by retrying GETs) and is ejected', async () => {
    const fast = await switchable('fast');
    // The head timeout sits far from both backends' answer times, so a loaded machine does
    // not make the fast one late too.
    const slow = await backend(async (_req, res) => {
      await sleep(3000);
      res.end('slow');
    });
    const u = upstream({
      name: 'slow',
      backends: [fast.origin, slow.origin],
      outlierDetection: { consecutiveFailures: 2, baseEjectionMs: 60_000 },
    });
    const p = await serveProxy(
      reverseProxy({
        upstream: u,
        timeouts: { responseHeadersMs: 1000 },
        retry: { attempts: 2, budgetPercent: 100 },
      }),
    );
    const statuses = await load(`${p}/`, 40, 4);
    expect(statuses.filter((s) => s !== 200)).toEqual([]);
    expect(u.backends[1]!.ejected).toBe(true);
  });

  it('failure injection: killing a backend under POST load fails at most the POSTs in flight on it', async () => {
    const bs = await Promise.all(['a', 'b'].map((l) => switchable(l)));
    const u = upstream({
      name: 'kill-post',
      backends: bs.map((b) => b.origin),
      outlierDetection: { consecutiveFailures: 1, baseEjectionMs: 60_000 },
    });
    const p = await serveProxy(
      reverseProxy({ upstream: u, retry: { attempts: 2, budgetPercent: 100 } }),
    );
    const concurrency = 4;
    const statuses = await load(`${p}/`, 200, concurrency, { method: 'POST', body: 'x' }, (i) => {
      if (i === 50) {
        bs[1]!.server.closeAllConnections();
        bs[1]!.server.close();
      }
    });
    const failed = statuses.filter((s) => s !== 200);
    // Only requests already sent to b when it died can fail; new ones go to a (connect
    // failures are retried, any method) and b is ejected at once.
    expect(failed.length).toBeLessThanOrEqual(concurrency);
    expect(failed.every((s) => s === 502)).toBe(true);
    expect(u.backends[1]!.ejected).toBe(true);
  });
});

describe('retries', () => {
  it('a connect failure is retried on another backend, even for POST (it never reached a backend)', async () => {
    const dead = await deadPort();
    let body = '';
    const live = await backend(async (req, res) => {
      for await (const c of req) body += c;
      res.end('live');
    });
    const u = upstream({
      name: 'r',
      backends: [`http://127.0.0.1:${dead}`, live.origin],
      strategy: 'first',
    });
    let info: ReturnType<typeof getProxyInfo>;
    const proxy = reverseProxy({ upstream: u });
    const p = await serveProxy({
      async handle(req, next) {
        const res = await proxy.handle(req, next);
        info = getProxyInfo(req);
        return res;
      },
    });
    const res = await fetch(`${p}/`, { method: 'POST', body: 'payload' });
    expect(await res.text()).toBe('live');
    expect(body).toBe('payload');
    expect(info!.attempts).toBe(2);
    expect(info!.backend).toBe(live.origin);
  });

  it('a POST that reached a backend is not retried when that backend resets; a GET is', async () => {
    let hits = 0;
    const flaky = await backend((req) => {
      hits++;
      req.socket.destroy();
    });
    const ok = await backend((_req, res) => res.end('ok'));
    const u = upstream({
      name: 'r2',
      backends: [flaky.origin, ok.origin],
      strategy: 'first',
      outlierDetection: false,
    });
    const p = await serveProxy(reverseProxy({ upstream: u }));
    const post = await fetch(`${p}/`, { method: 'POST', body: 'x' });
    expect(post.status).toBe(502);
    expect(await post.text()).toBe('502 Bad Gateway: the backend closed the connection\n');
    expect(hits).toBe(1);
    const get = await fetch(`${p}/`);
    expect(await get.text()).toBe('ok');
    expect(hits).toBe(2);
  });

  it('a 503 from the only backend left is relayed, not replaced by "no backend"', async () => {
    const a = await switchable('a');
    a.state.status = 503;
    const u = upstream({ name: 'one', backends: [a.origin], outlierDetection: false });
    const p = await serveProxy(reverseProxy({ upstream: u, retry: { attempts: 3 } }));
    const res = await fetch(`${p}/`);
    expect(res.status).toBe(503);
    expect(await res.text()).toBe('a');
    expect(a.state.requests).toBe(1);
  });

  it('the retry budget caps retries when every backend fails', async () => {
    const dead1 = await deadPort();
    const dead2 = await deadPort();
    const u = upstream({
      name: 'budget',
      backends: [`http://127.0.0.1:${dead1}`, `http://127.0.0.1:${dead2}`],
      outlierDetection: false,
    });
    let attempts = 0;
    const proxy = reverseProxy({ upstream: u, retry: { attempts: 2, budgetPercent: 10 } });
    const p = await serveProxy({
      async handle(req, next) {
        const res = await proxy.handle(req, next);
        attempts += getProxyInfo(req)!.attempts;
        return res;
      },
    });
    const statuses = await load(`${p}/`, 50, 1);
    expect(statuses.every((s) => s === 502)).toBe(true);
    // 50 requests, 10% budget: 5 retries (at least 3), not 50.
    expect(attempts - 50).toBe(5);
  });
});

describe('circuit breaker', () => {
  it('a half-open trial that ends without a verdict (client gone) frees its slot', async () => {
    const u = upstream({
      name: 'cb-neutral',
      backends: ['http://127.0.0.1:1'],
      outlierDetection: false,
      circuitBreaker: { failureThreshold: 1, openMs: 1 },
    });
    const req = { conn: { remoteAddress: '127.0.0.1' } } as never;
    const b = u.pick(req)!;
    b.begin();
    b.end('failure');
    await sleep(5);
    const trial = u.pick(req)!;
    trial.begin();
    expect(u.pick(req)).toBe(null);
    trial.end('neutral');
    expect(u.pick(req)).not.toBe(null);
  });

  it('opens after failureThreshold failures, half-opens after openMs, closes on a good trial', async () => {
    const a = await switchable('a');
    a.state.status = 502;
    const u = upstream({
      name: 'cb',
      backends: [a.origin],
      outlierDetection: false,
      circuitBreaker: { failureThreshold: 3, openMs: 500 },
    });
    const p = await serveProxy(reverseProxy({ upstream: u, retry: { attempts: 1 } }));
    const first = await load(`${p}/`, 5, 1);
    expect(first).toEqual([502, 502, 502, 503, 503]);
    expect(u.backends[0]!.circuit).toBe('open');
    expect(a.state.requests).toBe(3);
    await sleep(550);
    expect(u.backends[0]!.circuit).toBe('half_open');
    // A failed trial opens it again at once.
    expect(await load(`${p}/`, 2, 1)).toEqual([502, 503]);
    await sleep(550);
    a.state.status = 200;
    expect(await load(`${p}/`, 3, 1)).toEqual([200, 200, 200]);
    expect(u.backends[0]!.circuit).toBe('closed');
  });
});
