/**
 * Load-balancing strategies with fixed inputs. `pick()` needs no network: the backends are
 * addresses nothing listens on, and no request is sent.
 */
import { type ConnectionInfo, createRequest, IN_PROCESS_CONNECTION, type Request } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  type BackendOptions,
  createUpstream,
  type Strategy,
  type Upstream,
  type UpstreamOptions,
} from '../src/index.js';

const A = 'http://127.0.0.1:1001';
const B = 'http://127.0.0.1:1002';
const C = 'http://127.0.0.1:1003';
const NAME: Record<string, string> = { [A]: 'a', [B]: 'b', [C]: 'c' };

function upstream(
  strategy: Strategy,
  backends: Array<string | BackendOptions> = [A, B, C],
  extra: Partial<UpstreamOptions> = {},
): Upstream {
  const u = createUpstream({ name: 't', backends, strategy, ...extra });
  onTestFinished(() => u.close());
  return u;
}

function request(
  init: { path?: string; headers?: Record<string, string>; ip?: string } = {},
): Request {
  const conn: ConnectionInfo = { ...IN_PROCESS_CONNECTION, remoteAddress: init.ip ?? '127.0.0.1' };
  return createRequest({
    method: 'GET',
    target: init.path ?? '/',
    headers: init.headers ?? null,
    conn,
  });
}

function picks(u: Upstream, n: number, req: () => Request = () => request()): string {
  let out = '';
  for (let i = 0; i < n; i++) out += NAME[u.pick(req())!.url];
  return out;
}

function counts(u: Upstream, n: number, req: (i: number) => Request): Record<string, number> {
  const c: Record<string, number> = {};
  for (let i = 0; i < n; i++) {
    const name = NAME[u.pick(req(i))!.url]!;
    c[name] = (c[name] ?? 0) + 1;
  }
  return c;
}

describe('strategies', () => {
  it('round_robin cycles in order', () => {
    expect(picks(upstream('round_robin'), 7)).toBe('abcabca');
  });

  it('weighted_round_robin is smooth, as nginx: weights 5,1,1 give aabacaa', () => {
    const u = upstream('weighted_round_robin', [
      { url: A, weight: 5 },
      { url: B, weight: 1 },
      { url: C, weight: 1 },
    ]);
    expect(picks(u, 14)).toBe('aabacaaaabacaa');
  });

  it('least_connections (and least_conn) picks the fewest in-flight requests per weight', () => {
    for (const s of ['least_connections', 'least_conn'] as const) {
      const u = upstream(s);
      expect(u.strategy).toBe('least_connections');
      const a = u.pick(request())!;
      a.begin();
      a.begin();
      const b = u.pick(request())!;
      expect(b.url).not.toBe(A);
      b.begin();
      expect(u.pick(request())!.url).toBe([B, C].find((x) => x !== b.url));
      u.pick(request())!.begin();
      // a: 2, b: 1, c: 1 → b or c; then a finishes both and is the least loaded.
      a.end('success');
      a.end('success');
      expect(u.pick(request())!.url).toBe(A);
    }
  });

  it('power_of_two never picks the busiest of three', () => {
    const u = upstream('power_of_two');
    const busy = u.pick(request())!;
    for (let i = 0; i < 10; i++) busy.begin();
    const c = counts(u, 3000, () => request());
    expect(c[NAME[busy.url]!]).toBeUndefined();
  });

  it('random follows the weights', () => {
    const u = upstream('random', [
      { url: A, weight: 3 },
      { url: B, weight: 1 },
    ]);
    const c = counts(u, 8000, () => request());
    expect(c['a']! / 8000).toBeGreaterThan(0.7);
    expect(c['a']! / 8000).toBeLessThan(0.8);
  });

  it('first sends everything to the first available backend (failover order)', () => {
    const u = upstream('first');
    expect(picks(u, 3)).toBe('aaa');
    expect(NAME[u.pick(request(), new Set([A]))!.url]).toBe('b');
  });

  it('exclude skips backends already tried; null when none is left', () => {
    const u = upstream('round_robin');
    expect(u.pick(request(), new Set([A, B, C]))).toBe(null);
    for (let i = 0; i < 5; i++) expect(u.pick(request(), new Set([A, C]))!.url).toBe(B);
  });
});

describe('consistent hashing', () => {
  it('ip_hash: one client, one backend; 3000 clients spread evenly', () => {
    const u = upstream('ip_hash');
    const ip = (i: number) => `10.${(i >> 16) & 255}.${(i >> 8) & 255}.${i & 255}`;
    for (let i = 0; i < 50; i++) {
      expect(u.pick(request({ ip: ip(i) }))!.url).toBe(u.pick(request({ ip: ip(i) }))!.url);
    }
    const c = counts(u, 3000, (i) => request({ ip: ip(i) }));
    for (const name of ['a', 'b', 'c']) {
      expect(c[name]!).toBeGreaterThan(700);
      expect(c[name]!).toBeLessThan(1300);
    }
  });

  it('removing a backend moves only its own keys; adding it back restores them', () => {
    const u = upstream('uri_hash');
    const key = (i: number) => request({ path: `/item/${i}` });
    const before = Array.from({ length: 1000 }, (_, i) => u.pick(key(i))!.url);
    u.update([A, B]);
    const after = Array.from({ length: 1000 }, (_, i) => u.pick(key(i))!.url);
    for (let i = 0; i < 1000; i++) {
      if (before[i] !== C) expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe(C);
    }
    u.update([A, B, C]);
    expect(Array.from({ length: 1000 }, (_, i) => u.pick(key(i))!.url)).toEqual(before);
  });

  it('an unavailable owner passes its keys to the next backend on the ring only', () => {
    const u = upstream('uri_hash');
    const key = (i: number) => request({ path: `/k/${i}` });
    const before = Array.from({ length: 500 }, (_, i) => u.pick(key(i))!.url);
    const after = Array.from({ length: 500 }, (_, i) => u.pick(key(i), new Set([B]))!.url);
    for (let i = 0; i < 500; i++) {
      if (before[i] !== B) expect(after[i]).toBe(before[i]);
      else expect(after[i]).not.toBe(B);
    }
  });

  it('header_hash and cookie_hash key on the named field, and fall back to round robin without it', () => {
    const h = upstream('header_hash', [A, B, C], { hashKey: 'x-user' });
    const first = h.pick(request({ headers: { 'x-user': 'alice' } }))!.url;
    for (let i = 0; i < 20; i++)
      expect(h.pick(request({ headers: { 'x-user': 'alice' } }))!.url).toBe(first);
    expect(new Set(Array.from({ length: 3 }, () => h.pick(request())!.url)).size).toBe(3);
    const c = upstream('cookie_hash', [A, B, C], { hashKey: 'sid' });
    const owner = c.pick(request({ headers: { cookie: 'theme=dark; sid=abc123' } }))!.url;
    for (let i = 0; i < 20; i++) {
      expect(c.pick(request({ headers: { cookie: `sid=abc123; n=${i}` } }))!.url).toBe(owner);
    }
  });

  it('weights scale a backend’s share of the ring', () => {
    const u = upstream('uri_hash', [
      { url: A, weight: 3 },
      { url: B, weight: 1 },
    ]);
    const c = counts(u, 4000, (i) => request({ path: `/w/${i}` }));
    expect(c['a']! / 4000).toBeGreaterThan(0.65);
    expect(c['a']! / 4000).toBeLessThan(0.85);
  });

  it('header_hash and cookie_hash require hashKey', () => {
    expect(() => createUpstream({ name: 'x', backends: [A], strategy: 'header_hash' })).toThrow(
      /hashKey/,
    );
  });
});

describe('update()', () => {
  it('keeps state for unchanged backends and drops removed ones', () => {
    const u = upstream('round_robin', [A, B]);
    const a = u.pick(request())!;
    a.begin();
    a.end('failure');
    u.update([A, { url: C, weight: 2 }]);
    const snap = u.backends;
    expect(snap.map((b) => b.url)).toEqual([A, C]);
    expect(snap[0]!.requests).toBe(1);
    expect(snap[0]!.failures).toBe(1);
    expect(snap[1]!.weight).toBe(2);
    expect(() => u.update(['not a url at all'] as never)).toThrow(/backends\[0\]/);
  });
});
