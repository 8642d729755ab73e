import { isRwsError } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { Router } from '../src/router.js';
import { runRouterConformance } from './router-conformance.js';

function adapt(options?: ConstructorParameters<typeof Router<string>>[0]) {
  const router = new Router<string>(options);
  return {
    add: (method: string, path: string, name: string) => void router.add(method, path, name),
    addHost: (host: string, method: string, path: string, name: string) =>
      void router.host(host).add(method, path, name),
    lookup: (method: string, path: string, host?: string) => {
      const m = router.lookup(method, path, host);
      return m === null
        ? null
        : { name: m.store, params: { ...m.params }, allow: m.allow, redirect: m.redirect };
    },
  };
}

runRouterConformance({ create: adapt });

// Issue #9: a router without an optional capability lists the tests that need it, with the
// reason, and they show as skipped (not as passed).
describe('a router without host routing', () => {
  runRouterConformance({
    create: (options) => {
      const { addHost: _addHost, ...withoutHosts } = adapt(options);
      return withoutHosts;
    },
    skip: [
      {
        reason: 'this adapter has no addHost (host routing)',
        tests: [
          'exact host routes match before host-less ones',
          'wildcard subdomains',
          'host routes fall back to host-less routes',
        ],
      },
    ],
  });
});

describe('Router registration errors', () => {
  const code = (fn: () => void): string | undefined => {
    try {
      fn();
    } catch (err) {
      return isRwsError(err) ? err.code : 'not an RwsError';
    }
    return undefined;
  };

  it('rejects duplicate method + path', () => {
    const r = new Router<number>();
    r.add('GET', '/a/:id', 1);
    expect(code(() => r.add('GET', '/a/:id', 2))).toBe('RWS_ROUTER_ROUTE_CONFLICT');
    expect(code(() => r.add('POST', '/a/:id', 2))).toBeUndefined();
  });

  it('rejects different param names at one position', () => {
    const r = new Router<number>();
    r.add('GET', '/a/:id', 1);
    expect(code(() => r.add('GET', '/a/:name/x', 2))).toBe('RWS_ROUTER_PARAM_CONFLICT');
    r.add('GET', '/w/*path', 1);
    expect(code(() => r.add('POST', '/w/*rest', 2))).toBe('RWS_ROUTER_PARAM_CONFLICT');
  });

  it('rejects malformed paths', () => {
    const r = new Router<number>();
    for (const p of [
      'a',
      '',
      '/a/:',
      '/a/:id-x',
      '/a/*/b',
      '/a/:id(\\d+',
      '/a/:x/:x',
      '/a/:id([)',
    ]) {
      expect(
        code(() => r.add('GET', p, 1)),
        p,
      ).toBe('RWS_ROUTER_INVALID_PATH');
    }
  });

  it('rejects malformed hosts', () => {
    const r = new Router<number>();
    for (const h of ['', '*', 'a.*.com', '*example.com']) {
      expect(
        code(() => r.host(h)),
        h,
      ).toBe('RWS_ROUTER_INVALID_HOST');
    }
  });

  it('static hits return the same object (no allocation)', () => {
    const r = new Router<number>();
    r.add('GET', '/a', 1);
    r.add('GET', '/b/:id', 2);
    expect(r.lookup('GET', '/a')).toBe(r.lookup('GET', '/a'));
    expect(Object.isFrozen(r.lookup('GET', '/a')?.params)).toBe(true);
  });

  it('lists routes', () => {
    const r = new Router<number>();
    r.add(['GET', 'POST'], '/a', 1);
    r.host('x.com').add('GET', '/b', 2);
    expect(r.routes()).toEqual([
      { method: 'GET', path: '/a', host: null, store: 1 },
      { method: 'POST', path: '/a', host: null, store: 1 },
      { method: 'GET', path: '/b', host: 'x.com', store: 2 },
    ]);
  });
});

/**
 * A reference matcher: of all routes matching the path segment by segment, the winner has the
 * lexicographically smallest list of segment kinds (static < param < wildcard).
 */
function referenceMatch(routes: string[], path: string): string | null {
  const segs = path.split('/').slice(1);
  let best: { route: string; rank: number[] } | null = null;
  for (const route of routes) {
    const parts = route.split('/').slice(1);
    const rank: number[] = [];
    let ok = true;
    for (let i = 0; i < parts.length; i++) {
      const part = parts[i]!;
      if (part.startsWith('*')) {
        if (segs.length < i + 1) ok = false;
        rank.push(2);
        break;
      }
      const seg = segs[i];
      if (seg === undefined) {
        ok = false;
        break;
      }
      if (part.startsWith(':')) {
        if (seg === '') ok = false;
        rank.push(1);
      } else if (part === seg) rank.push(0);
      else ok = false;
      if (!ok) break;
      if (i === parts.length - 1 && segs.length !== parts.length) ok = false;
    }
    if (!ok) continue;
    if (best === null || compare(rank, best.rank) < 0) best = { route, rank };
  }
  return best?.route ?? null;
}

function compare(a: number[], b: number[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! - b[i]!;
  return a.length - b.length;
}

describe('Router property: agrees with a reference matcher', () => {
  const segment = fc.constantFrom('a', 'b', 'ab', 'abc', 'c', 'ba');
  const routePart = fc.oneof(
    { weight: 4, arbitrary: segment },
    { weight: 2, arbitrary: fc.constant(':p') },
    { weight: 1, arbitrary: fc.constant('*w') },
  );
  const route = fc.array(routePart, { minLength: 1, maxLength: 4 }).map((parts) => {
    const star = parts.findIndex((p) => p.startsWith('*'));
    const kept = star === -1 ? parts : parts.slice(0, star + 1);
    // Param names by position, so no two routes name one position differently.
    return `/${kept.map((p, i) => (p === ':p' ? `:p${i}` : p)).join('/')}`;
  });
  const path = fc
    .array(fc.constantFrom('a', 'b', 'ab', 'abc', 'c', 'ba', 'x', ''), {
      minLength: 1,
      maxLength: 5,
    })
    .map((s) => `/${s.join('/')}`);

  it('finds the same route for random route sets and paths', () => {
    fc.assert(
      fc.property(
        fc.uniqueArray(route, { maxLength: 12 }),
        fc.array(path, { maxLength: 10 }),
        (routes, paths) => {
          const r = new Router<string>();
          for (const p of routes) r.add('GET', p, p);
          for (const p of paths) {
            const found = r.lookup('GET', p);
            expect(found?.store ?? null, `${p} in ${JSON.stringify(routes)}`).toBe(
              referenceMatch(routes, p),
            );
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
