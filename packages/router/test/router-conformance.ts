/**
 * The shared router conformance suite (in the way of Hono's `runTest` shared by its routers).
 * Any router that can be adapted to `RouterUnderTest` runs it; `runRouterConformance` is
 * called from router.test.ts for our `Router`.
 */
import { describe, expect, it } from 'vitest';

/** The result a router under test reports. */
export interface LookupResult {
  /** The name of the matched route, or null for "path exists, method does not" (405). */
  name: string | null;
  params: Record<string, string>;
  /** The Allow value (for 405 / OPTIONS). */
  allow: string;
  /** Canonical path for a trailing-slash redirect, or null. */
  redirect: string | null;
}

/** The minimal router surface the suite drives. */
export interface RouterUnderTest {
  add(method: string, path: string, name: string): void;
  addHost?(host: string, method: string, path: string, name: string): void;
  /** Returns null for 404. Throws an error with `status: 400` for invalid encoding. */
  lookup(method: string, path: string, host?: string): LookupResult | null;
}

export interface RouterFactoryOptions {
  caseSensitive?: boolean;
  trailingSlash?: 'strict' | 'ignore' | 'redirect';
}

export interface ConformanceOptions {
  create: (options?: RouterFactoryOptions) => RouterUnderTest;
  /**
   * Tests to skip, each group with its reason (CONVENTIONS #11). A skipped test is reported as
   * skipped with the reason; a router without an optional capability (`addHost`) must list the
   * tests that need it here, or they fail.
   */
  skip?: readonly { reason: string; tests: readonly string[] }[];
}

export function runRouterConformance(options: ConformanceOptions): void {
  const reasons = new Map<string, string>();
  for (const group of options.skip ?? []) {
    for (const t of group.tests) reasons.set(t, group.reason);
  }
  const registered = new Set<string>();
  const test = (name: string, fn: () => void) => {
    registered.add(name);
    const reason = reasons.get(name);
    // Skipped tests stay visible, with their reason as the skip note.
    if (reason === undefined) it(name, fn);
    else it(name, (ctx) => ctx.skip(reason));
  };
  /** The router's host routing; a router without it fails unless the test is skipped. */
  const hosts = (r: RouterUnderTest): Required<RouterUnderTest> => {
    if (r.addHost === undefined) {
      throw new Error('the router under test has no addHost: skip this test with a reason');
    }
    return r as Required<RouterUnderTest>;
  };
  const make = (opts?: RouterFactoryOptions) => options.create(opts);
  const name = (r: RouterUnderTest, method: string, path: string, host?: string) =>
    r.lookup(method, path, host)?.name;

  describe('router conformance', () => {
    describe('static', () => {
      test('matches exact static paths', () => {
        const r = make();
        r.add('GET', '/', 'root');
        r.add('GET', '/a', 'a');
        r.add('GET', '/a/b', 'ab');
        r.add('GET', '/abc', 'abc');
        expect(name(r, 'GET', '/')).toBe('root');
        expect(name(r, 'GET', '/a')).toBe('a');
        expect(name(r, 'GET', '/a/b')).toBe('ab');
        expect(name(r, 'GET', '/abc')).toBe('abc');
        expect(r.lookup('GET', '/ab')).toBeNull();
        expect(r.lookup('GET', '/a/b/c')).toBeNull();
        expect(r.lookup('GET', '')).toBeNull();
      });

      test('static routes have empty params', () => {
        const r = make();
        r.add('GET', '/users', 'users');
        expect(r.lookup('GET', '/users')?.params).toEqual({});
      });

      test('shared prefixes split correctly', () => {
        const r = make();
        r.add('GET', '/filesystem', 'fs');
        r.add('GET', '/files', 'files');
        r.add('GET', '/file', 'file');
        r.add('GET', '/fi', 'fi');
        expect(name(r, 'GET', '/filesystem')).toBe('fs');
        expect(name(r, 'GET', '/files')).toBe('files');
        expect(name(r, 'GET', '/file')).toBe('file');
        expect(name(r, 'GET', '/fi')).toBe('fi');
        expect(r.lookup('GET', '/f')).toBeNull();
      });

      test('many siblings', () => {
        const r = make();
        const words = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet'.split(' ');
        for (const w of words) r.add('GET', `/${w}`, w);
        for (const w of words) expect(name(r, 'GET', `/${w}`)).toBe(w);
        expect(r.lookup('GET', '/kilo')).toBeNull();
      });
    });

    describe('params', () => {
      test('captures a param', () => {
        const r = make();
        r.add('GET', '/users/:id', 'user');
        expect(r.lookup('GET', '/users/42')).toMatchObject({ name: 'user', params: { id: '42' } });
        expect(r.lookup('GET', '/users/')).toBeNull();
        expect(r.lookup('GET', '/users')).toBeNull();
        expect(r.lookup('GET', '/users/42/x')).toBeNull();
      });

      test('captures several params', () => {
        const r = make();
        r.add('GET', '/orgs/:org/repos/:repo/issues/:n', 'issue');
        expect(r.lookup('GET', '/orgs/rws/repos/core/issues/7')?.params).toEqual({
          org: 'rws',
          repo: 'core',
          n: '7',
        });
      });

      test('param values keep dots and dashes', () => {
        const r = make();
        r.add('GET', '/f/:name', 'f');
        expect(r.lookup('GET', '/f/a.b-c_d~e')?.params).toEqual({ name: 'a.b-c_d~e' });
      });

      test('patterned params', () => {
        const r = make();
        r.add('GET', '/n/:id(\\d+)', 'num');
        r.add('GET', '/n/:id', 'any');
        expect(name(r, 'GET', '/n/123')).toBe('num');
        expect(name(r, 'GET', '/n/abc')).toBe('any');
      });

      test('a pattern that does not match is a 404', () => {
        const r = make();
        r.add('GET', '/n/:id(\\d+)', 'num');
        expect(r.lookup('GET', '/n/abc')).toBeNull();
      });
    });

    describe('wildcards', () => {
      test('named wildcard captures the rest', () => {
        const r = make();
        r.add('GET', '/files/*path', 'files');
        expect(r.lookup('GET', '/files/a/b/c.txt')).toMatchObject({
          name: 'files',
          params: { path: 'a/b/c.txt' },
        });
        expect(r.lookup('GET', '/files/')?.params).toEqual({ path: '' });
        expect(r.lookup('GET', '/files')).toBeNull();
      });

      test('bare wildcard is named "*"', () => {
        const r = make();
        r.add('GET', '/static/*', 'static');
        expect(r.lookup('GET', '/static/x/y')?.params).toEqual({ '*': 'x/y' });
      });

      test('params before a wildcard', () => {
        const r = make();
        r.add('GET', '/users/:id/files/*path', 'uf');
        expect(r.lookup('GET', '/users/1/files/a/b')?.params).toEqual({ id: '1', path: 'a/b' });
      });

      test('root wildcard catches everything', () => {
        const r = make();
        r.add('GET', '/*', 'all');
        r.add('GET', '/x', 'x');
        expect(name(r, 'GET', '/x')).toBe('x');
        expect(name(r, 'GET', '/y/z')).toBe('all');
        expect(name(r, 'GET', '/')).toBe('all');
      });
    });

    describe('precedence', () => {
      for (const order of ['static first', 'param first', 'wildcard first']) {
        test(`static > param > wildcard (${order})`, () => {
          const r = make();
          const adds: [string, string][] = [
            ['/users/new', 'new'],
            ['/users/:id', 'id'],
            ['/users/*rest', 'rest'],
          ];
          if (order === 'param first') adds.unshift(adds.splice(1, 1)[0]!);
          if (order === 'wildcard first') adds.reverse();
          for (const [p, n] of adds) r.add('GET', p, n);
          expect(name(r, 'GET', '/users/new')).toBe('new');
          expect(name(r, 'GET', '/users/42')).toBe('id');
          expect(name(r, 'GET', '/users/42/x')).toBe('rest');
          expect(r.lookup('GET', '/users/42/x')?.params).toEqual({ rest: '42/x' });
        });
      }

      test('backtracks from static into param', () => {
        const r = make();
        r.add('GET', '/users/new', 'new');
        r.add('GET', '/users/:id/edit', 'edit');
        expect(name(r, 'GET', '/users/new')).toBe('new');
        expect(r.lookup('GET', '/users/new/edit')).toMatchObject({
          name: 'edit',
          params: { id: 'new' },
        });
      });

      test('backtracks from a static prefix that is not a whole segment', () => {
        const r = make();
        r.add('GET', '/a/bc/d', 'static');
        r.add('GET', '/a/:x/e', 'param');
        expect(r.lookup('GET', '/a/bc/e')).toMatchObject({ name: 'param', params: { x: 'bc' } });
        expect(name(r, 'GET', '/a/bc/d')).toBe('static');
      });

      test('backtracks from param into wildcard', () => {
        const r = make();
        r.add('GET', '/a/:x/b', 'param');
        r.add('GET', '/a/*rest', 'wild');
        expect(name(r, 'GET', '/a/1/b')).toBe('param');
        expect(r.lookup('GET', '/a/1/c')).toMatchObject({ name: 'wild', params: { rest: '1/c' } });
      });

      test('deep backtracking leaves no stale params', () => {
        const r = make();
        r.add('GET', '/:a/:b/c', 'abc');
        r.add('GET', '/:a/x/d', 'axd');
        expect(r.lookup('GET', '/1/x/d')).toMatchObject({ name: 'axd', params: { a: '1' } });
        expect(r.lookup('GET', '/1/y/c')).toMatchObject({
          name: 'abc',
          params: { a: '1', b: 'y' },
        });
      });

      test('method-aware: a static path without the method falls through to a param', () => {
        const r = make();
        r.add('POST', '/users/new', 'create');
        r.add('GET', '/users/:id', 'show');
        expect(r.lookup('GET', '/users/new')).toMatchObject({
          name: 'show',
          params: { id: 'new' },
        });
        expect(name(r, 'POST', '/users/new')).toBe('create');
      });
    });

    describe('encoding', () => {
      test('params are percent-decoded', () => {
        const r = make();
        r.add('GET', '/u/:name', 'u');
        expect(r.lookup('GET', '/u/a%20b')?.params).toEqual({ name: 'a b' });
        expect(r.lookup('GET', '/u/caf%C3%A9')?.params).toEqual({ name: 'café' });
        expect(r.lookup('GET', '/u/a%2Fb')?.params).toEqual({ name: 'a/b' });
      });

      test('wildcards are percent-decoded', () => {
        const r = make();
        r.add('GET', '/w/*rest', 'w');
        expect(r.lookup('GET', '/w/a%20b/c')?.params).toEqual({ rest: 'a b/c' });
      });

      test('invalid percent-encoding throws a 400 error', () => {
        const r = make();
        r.add('GET', '/u/:name', 'u');
        for (const bad of ['/u/%', '/u/%zz', '/u/%C3', '/u/%E0%A4%A']) {
          let error: unknown;
          try {
            r.lookup('GET', bad);
          } catch (err) {
            error = err;
          }
          expect(error, bad).toMatchObject({ status: 400 });
        }
      });

      test('static routes match the encoded form of non-ASCII route text', () => {
        const r = make();
        r.add('GET', '/café', 'cafe');
        expect(name(r, 'GET', '/caf%C3%A9')).toBe('cafe');
      });
    });

    describe('methods', () => {
      test('404 when no path matches', () => {
        const r = make();
        r.add('GET', '/a', 'a');
        expect(r.lookup('GET', '/b')).toBeNull();
      });

      test('405 with Allow when the path exists under other methods', () => {
        const r = make();
        r.add('GET', '/a', 'get');
        r.add('POST', '/a', 'post');
        const m = r.lookup('DELETE', '/a');
        expect(m?.name).toBeNull();
        expect(m?.allow).toBe('GET, HEAD, POST, OPTIONS');
      });

      test('405 on a dynamic path', () => {
        const r = make();
        r.add('PUT', '/items/:id', 'put');
        const m = r.lookup('GET', '/items/1');
        expect(m?.name).toBeNull();
        expect(m?.allow).toBe('PUT, OPTIONS');
      });

      test('405 Allow unions every route matching the path', () => {
        const r = make();
        r.add('POST', '/users/new', 'create');
        r.add('GET', '/users/:id', 'show');
        expect(r.lookup('DELETE', '/users/new')?.allow).toBe('GET, HEAD, POST, OPTIONS');
      });

      test('HEAD falls back to GET', () => {
        const r = make();
        r.add('GET', '/a', 'get');
        r.add('GET', '/p/:id', 'pget');
        expect(name(r, 'HEAD', '/a')).toBe('get');
        expect(name(r, 'HEAD', '/p/1')).toBe('pget');
      });

      test('an explicit HEAD wins over GET', () => {
        const r = make();
        r.add('HEAD', '/a', 'head');
        r.add('GET', '/a', 'get');
        expect(name(r, 'HEAD', '/a')).toBe('head');
        expect(name(r, 'GET', '/a')).toBe('get');
      });

      test('OPTIONS without a route reports Allow', () => {
        const r = make();
        r.add('GET', '/a', 'get');
        const m = r.lookup('OPTIONS', '/a');
        expect(m?.name).toBeNull();
        expect(m?.allow).toBe('GET, HEAD, OPTIONS');
      });

      test('ALL matches every method', () => {
        const r = make();
        r.add('ALL', '/any', 'any');
        r.add('GET', '/any', 'get');
        expect(name(r, 'GET', '/any')).toBe('get');
        expect(name(r, 'PATCH', '/any')).toBe('any');
        expect(name(r, 'OPTIONS', '/any')).toBe('any');
      });
    });

    describe('trailing slash', () => {
      test('strict by default', () => {
        const r = make();
        r.add('GET', '/a', 'a');
        r.add('GET', '/b/', 'b');
        expect(r.lookup('GET', '/a/')).toBeNull();
        expect(r.lookup('GET', '/b')).toBeNull();
        expect(name(r, 'GET', '/b/')).toBe('b');
      });

      test('ignore', () => {
        const r = make({ trailingSlash: 'ignore' });
        r.add('GET', '/a', 'a');
        r.add('GET', '/b/', 'b');
        r.add('GET', '/p/:id', 'p');
        expect(name(r, 'GET', '/a/')).toBe('a');
        expect(name(r, 'GET', '/b')).toBe('b');
        expect(r.lookup('GET', '/p/1/')?.params).toEqual({ id: '1' });
      });

      test('redirect', () => {
        const r = make({ trailingSlash: 'redirect' });
        r.add('GET', '/a', 'a');
        r.add('GET', '/b/', 'b');
        expect(r.lookup('GET', '/a/')?.redirect).toBe('/a');
        expect(r.lookup('GET', '/b')?.redirect).toBe('/b/');
        expect(r.lookup('GET', '/a')?.redirect).toBeNull();
        expect(r.lookup('GET', '/c/')).toBeNull();
      });
    });

    describe('case', () => {
      test('case-sensitive by default', () => {
        const r = make();
        r.add('GET', '/About', 'about');
        expect(name(r, 'GET', '/About')).toBe('about');
        expect(r.lookup('GET', '/about')).toBeNull();
      });

      test('case-insensitive keeps the case of param values', () => {
        const r = make({ caseSensitive: false });
        r.add('GET', '/About', 'about');
        r.add('GET', '/Users/:Name', 'user');
        expect(name(r, 'GET', '/ABOUT')).toBe('about');
        expect(r.lookup('GET', '/users/JoHn')?.params).toEqual({ Name: 'JoHn' });
      });
    });

    describe('hosts', () => {
      test('exact host routes match before host-less ones', () => {
        const r = hosts(make());
        r.addHost('api.example.com', 'GET', '/', 'api');
        r.add('GET', '/', 'default');
        expect(name(r, 'GET', '/', 'api.example.com')).toBe('api');
        expect(name(r, 'GET', '/', 'API.Example.com:8080')).toBe('api');
        expect(name(r, 'GET', '/', 'www.example.com')).toBe('default');
        expect(name(r, 'GET', '/')).toBe('default');
      });

      test('wildcard subdomains', () => {
        const r = hosts(make());
        r.addHost('*.example.com', 'GET', '/', 'sub');
        r.addHost('*.eu.example.com', 'GET', '/', 'eu');
        expect(name(r, 'GET', '/', 'a.example.com')).toBe('sub');
        expect(name(r, 'GET', '/', 'x.eu.example.com')).toBe('eu');
        expect(r.lookup('GET', '/', 'example.com')).toBeNull();
      });

      test('host routes fall back to host-less routes', () => {
        const r = hosts(make());
        r.addHost('api.example.com', 'GET', '/v1', 'v1');
        r.add('GET', '/health', 'health');
        expect(name(r, 'GET', '/health', 'api.example.com')).toBe('health');
        expect(r.lookup('GET', '/v1', 'other.com')).toBeNull();
      });
    });

    describe('benchmark route set', () => {
      test('every route of the public router benchmarks resolves', () => {
        const r = make();
        const routes: [string, string][] = [
          ['GET', '/user'],
          ['GET', '/user/comments'],
          ['GET', '/user/avatar'],
          ['GET', '/user/lookup/username/:username'],
          ['GET', '/user/lookup/email/:address'],
          ['GET', '/event/:id'],
          ['GET', '/event/:id/comments'],
          ['POST', '/event/:id/comment'],
          ['GET', '/map/:location/events'],
          ['GET', '/status'],
          ['GET', '/very/deeply/nested/route/hello/there'],
          ['GET', '/static/*'],
        ];
        for (const [m, p] of routes) r.add(m, p, `${m} ${p}`);
        const cases: [string, string, string, Record<string, string>][] = [
          ['GET', '/user', 'GET /user', {}],
          ['GET', '/user/comments', 'GET /user/comments', {}],
          ['GET', '/user/avatar', 'GET /user/avatar', {}],
          [
            'GET',
            '/user/lookup/username/hey',
            'GET /user/lookup/username/:username',
            { username: 'hey' },
          ],
          ['GET', '/user/lookup/email/a@b', 'GET /user/lookup/email/:address', { address: 'a@b' }],
          ['GET', '/event/1', 'GET /event/:id', { id: '1' }],
          ['GET', '/event/1/comments', 'GET /event/:id/comments', { id: '1' }],
          ['POST', '/event/1/comment', 'POST /event/:id/comment', { id: '1' }],
          ['GET', '/map/paris/events', 'GET /map/:location/events', { location: 'paris' }],
          ['GET', '/status', 'GET /status', {}],
          [
            'GET',
            '/very/deeply/nested/route/hello/there',
            'GET /very/deeply/nested/route/hello/there',
            {},
          ],
          ['GET', '/static/a/b.js', 'GET /static/*', { '*': 'a/b.js' }],
        ];
        for (const [m, p, n, params] of cases) {
          expect(r.lookup(m, p), `${m} ${p}`).toMatchObject({ name: n, params });
        }
        expect(r.lookup('GET', '/stat')).toBeNull();
        expect(r.lookup('GET', '/users')).toBeNull();
      });
    });

    describe('scale', () => {
      test('1000 routes all resolve', () => {
        const r = make();
        for (let i = 0; i < 500; i++) {
          r.add('GET', `/s${i}/x`, `s${i}`);
          r.add('GET', `/p${i}/:id`, `p${i}`);
        }
        for (let i = 0; i < 500; i += 37) {
          expect(name(r, 'GET', `/s${i}/x`)).toBe(`s${i}`);
          expect(r.lookup('GET', `/p${i}/z`)).toMatchObject({ name: `p${i}`, params: { id: 'z' } });
        }
      });
    });

    it('every skipped test named in options.skip exists in the suite', () => {
      expect([...reasons.keys()].filter((t) => !registered.has(t))).toEqual([]);
    });
  });
}
