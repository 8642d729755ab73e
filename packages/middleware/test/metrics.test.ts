/**
 * The metrics middleware on its own (in-process requests). Behind serve() (connections gauge,
 * scrape over a socket): packages/server/test/serve-metrics.test.ts.
 */
import { compose, createRequest, HttpError, RwsError, text } from '@rws/core';
import { errorResponseCases } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  DEFAULT_DURATION_BUCKETS,
  METRICS_CONTENT_TYPE,
} from '../src/metrics/index.js';

function sample(exposition: string, name: string): number {
  for (const line of exposition.split('\n')) {
    if (line.startsWith(`${name} `)) return Number(line.slice(name.length + 1));
  }
  throw new Error(`no sample ${name}`);
}

describe('Metrics middleware', () => {
  it('counts by status class, keeps sync handlers sync, and counts known body bytes', async () => {
    const metrics = createMetrics();
    const handler = compose([metrics], (req) => {
      if (req.path === '/missing') throw new HttpError(404);
      if (req.path === '/boom') throw new Error('boom');
      if (req.path === '/async') return Promise.resolve(text('later', { status: 201 }));
      return text('héllo');
    });
    const res = handler(
      createRequest({ method: 'POST', target: '/', headers: { 'content-length': '12' } }),
    );
    expect(res).not.toBeInstanceOf(Promise);
    await handler(createRequest({ method: 'GET', target: '/async' }));
    expect(() => handler(createRequest({ method: 'GET', target: '/missing' }))).toThrow();
    expect(() => handler(createRequest({ method: 'GET', target: '/boom' }))).toThrow('boom');

    const out = metrics.render();
    expect(out).toContain('rws_http_requests_total{status_class="2xx"} 2');
    expect(out).toContain('rws_http_requests_total{status_class="4xx"} 1');
    expect(out).toContain('rws_http_requests_total{status_class="5xx"} 1');
    expect(out).toContain('rws_http_errors_total{kind="handler"} 1');
    expect(sample(out, 'rws_http_request_bytes_total')).toBe(12);
    // 'héllo' is 6 UTF-8 bytes, 'later' 5.
    expect(sample(out, 'rws_http_response_bytes_total')).toBe(11);
    expect(sample(out, 'rws_http_request_duration_seconds_count')).toBe(4);
    expect(out).toContain('rws_http_request_duration_seconds_bucket{le="+Inf"} 4');
    expect(metrics.requestCount('2xx')).toBe(2);
  });

  it('counts native promises and other thenables, resolved or rejected, once each (issue #10)', async () => {
    const metrics = createMetrics();
    // A non-native thenable (a library's own promise type) is adopted, not returned as is.
    const thenable = (value: () => ReturnType<typeof text>) => ({
      // biome-ignore lint/suspicious/noThenProperty: a thenable that is not a native promise is the case under test
      then: (ok: (v: unknown) => unknown, fail: (e: unknown) => unknown) => {
        try {
          return Promise.resolve(ok(value()));
        } catch (err) {
          return Promise.resolve(fail(err));
        }
      },
    });
    const handler = compose([metrics], (req) => {
      if (req.path === '/reject') return Promise.reject(new HttpError(503));
      if (req.path === '/thenable')
        return thenable(() => text('ok')) as unknown as Promise<ReturnType<typeof text>>;
      if (req.path === '/thenable-fails')
        return thenable(() => {
          throw new HttpError(429);
        }) as unknown as Promise<ReturnType<typeof text>>;
      return Promise.resolve(text('native'));
    });
    const get = (target: string) => handler(createRequest({ method: 'GET', target }));
    const native = get('/');
    expect(native).toBeInstanceOf(Promise);
    expect((await native).status).toBe(200);
    const adopted = get('/thenable');
    expect(adopted).toBeInstanceOf(Promise);
    expect((await adopted).body).toBe('ok');
    await expect(get('/reject')).rejects.toThrow(HttpError);
    await expect(get('/thenable-fails')).rejects.toThrow(HttpError);
    expect((['2xx', '4xx', '5xx'] as const).map((c) => metrics.requestCount(c))).toEqual([2, 1, 1]);
    const out = metrics.render();
    expect(out).toContain('rws_http_errors_total{kind="handler"} 1');
    // 'native' + 'ok'; every request timed once.
    expect(sample(out, 'rws_http_response_bytes_total')).toBe(8);
    expect(sample(out, 'rws_http_request_duration_seconds_count')).toBe(4);
  });

  it("returns the handler's own native promise, counted before the caller sees it (issue #10)", async () => {
    const metrics = createMetrics();
    const inner = Promise.resolve(text('ok'));
    const req = createRequest({ method: 'GET', target: '/' });
    const res = metrics.handle(req, () => inner);
    expect(res).toBe(inner);
    await res;
    expect(metrics.requestCount('2xx')).toBe(1);
    // Not a response: not counted, and nothing rejects unhandled on the side.
    const odd = Promise.resolve(null as unknown as ReturnType<typeof text>);
    expect(await metrics.handle(req, () => odd)).toBeNull();
  });

  it.each(errorResponseCases({ HttpError, RwsError }).map((c) => [c.name, c] as const))(
    'counts a thrown %s under the status the client gets (issue #9)',
    (_name, c) => {
      const metrics = createMetrics();
      const handler = compose([metrics], () => {
        throw c.thrown();
      });
      expect(() => handler(createRequest({ method: 'GET', target: '/' }))).toThrow();
      const cls = `${Math.floor(c.status / 100)}xx`;
      expect(metrics.render()).toContain(`rws_http_requests_total{status_class="${cls}"} 1`);
      expect(metrics.requestCount(cls as '4xx' | '5xx')).toBe(1);
    },
  );

  it("reads Content-Length with core's strict parser: 1e3 and 0x10 are no length (issue #9)", () => {
    const metrics = createMetrics();
    const handler = compose([metrics], () => ({
      ...text('x'),
      body: (async function* () {})(),
      headers: text('x', { headers: { 'content-length': '0x10' } }).headers,
    }));
    for (const value of ['1e3', '0x10', '+5', ' 7', '1.5', '12']) {
      handler(createRequest({ method: 'POST', target: '/', headers: { 'content-length': value } }));
    }
    const out = metrics.render();
    expect(sample(out, 'rws_http_request_bytes_total')).toBe(12);
    expect(sample(out, 'rws_http_response_bytes_total')).toBe(0);
  });

  it('renders cumulative histogram buckets in ascending order', async () => {
    const metrics = createMetrics({ buckets: [1, 0.5] });
    const handler = compose([metrics], () => text('x'));
    handler(createRequest({ method: 'GET', target: '/' }));
    const out = metrics.render();
    const half = out.indexOf('le="0.5"} 1');
    const one = out.indexOf('le="1"} 1');
    expect(half).toBeGreaterThan(0);
    expect(one).toBeGreaterThan(half);
    expect(DEFAULT_DURATION_BUCKETS).toHaveLength(11);
    expect((await metrics.response()).headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
  });
});

describe('Metrics collectors', () => {
  it('groups a family’s samples under one HELP/TYPE, histogram suffixes included, no series twice', async () => {
    const metrics = createMetrics({
      collectors: [
        () =>
          '# HELP q_seconds Queue wait.\n# TYPE q_seconds histogram\n' +
          'q_seconds_bucket{le="1",q="a"} 1\nq_seconds_bucket{le="+Inf",q="a"} 2\n' +
          'q_seconds_sum{q="a"} 1.5\nq_seconds_count{q="a"} 2\n# a comment\n\n' +
          'loose_total 3\n',
        async () =>
          '# HELP q_seconds Queue wait.\n# TYPE q_seconds histogram\n' +
          'q_seconds_bucket{le="1",q="b"} 0\nq_seconds_count{q="b"} 0\n' +
          // The same series again: dropped, the first wins.
          'q_seconds_count{q="a"} 99\n',
      ],
    });
    expect(metrics.render()).not.toContain('q_seconds');
    const out = await metrics.collect();
    const start = out.indexOf('# HELP q_seconds');
    expect(out.slice(start)).toBe(
      '# HELP q_seconds Queue wait.\n# TYPE q_seconds histogram\n' +
        'q_seconds_bucket{le="1",q="a"} 1\nq_seconds_bucket{le="+Inf",q="a"} 2\n' +
        'q_seconds_sum{q="a"} 1.5\nq_seconds_count{q="a"} 2\n' +
        'q_seconds_bucket{le="1",q="b"} 0\nq_seconds_count{q="b"} 0\n' +
        'loose_total 3\n',
    );
    expect(out.startsWith('# HELP rws_http_requests_total')).toBe(true);
    const res = await metrics.response();
    expect(res.body).toBe(out);
  });

  it('leaves out a collector that fails, names why, and counts it', async () => {
    const errors: RwsError[] = [];
    const cases: [() => string | Promise<string>, string][] = [
      [() => 'bad line here\n', 'line 1 is not a sample'],
      [() => 'x{a="1"} one\n', 'line 1 is not a sample'],
      [() => '# TYPE y gauge\n# TYPE y counter\n', 'contradicts the earlier TYPE gauge'],
      [() => 'z 1\n# TYPE z gauge\n', 'comes after samples of its family'],
      [() => '# TYPE w bogus\n', 'has an unknown type'],
      [() => 'rws_http_requests_total{status_class="9xx"} 1\n', 'is a built-in metric'],
      [() => '# TYPE ok_total gauge\nok_total 1\n', 'is a gauge here but a counter elsewhere'],
      [
        () => {
          throw new Error('sync throw');
        },
        'sync throw',
      ],
      [() => Promise.reject(new Error('async reject')), 'async reject'],
      [() => 42 as unknown as string, 'returned number, not a string'],
    ];
    const metrics = createMetrics({
      collectors: [
        () => '# TYPE ok_total counter\nok_total{a="x y",b="q\\"\\\\\\n"} 1 1700000000000\n',
        ...cases.map(([c]) => c),
      ],
      onCollectorError: (err) => errors.push(err),
    });
    const out = await metrics.collect();
    expect(out).toContain(
      '# TYPE ok_total counter\nok_total{a="x y",b="q\\"\\\\\\n"} 1 1700000000000\n',
    );
    for (const line of [/^bad/m, /^x\{/m, /^# TYPE [yzw] /m, /^z 1/m, /9xx/, /^ok_total 1$/m]) {
      expect(out).not.toMatch(line);
    }
    expect(out).toContain(`rws_http_errors_total{kind="metrics_collector"} ${cases.length}`);
    expect(errors.map((e) => e.code)).toEqual(
      cases.map(() => 'RWS_MIDDLEWARE_METRICS_COLLECTOR_FAILED'),
    );
    cases.forEach(([, why], i) => {
      expect(errors[i]!.message).toContain(`metrics collector ${i + 2} failed`);
      expect(errors[i]!.message).toContain(why);
    });
  });

  it('setCollectors replaces them; bad collectors are refused', async () => {
    const metrics = createMetrics({ collectors: [() => 'a_total 1\n'] });
    expect(await metrics.collect()).toContain('a_total 1');
    metrics.setCollectors([() => 'b_total 2\n']);
    const out = await metrics.collect();
    expect(out).toContain('b_total 2');
    expect(out).not.toContain('a_total');
    metrics.setCollectors([]);
    expect(typeof metrics.collect()).toBe('string');
    expect(() => metrics.setCollectors(['x' as never])).toThrow(
      'collectors must be an array of functions',
    );
    expect(() => createMetrics({ onCollectorError: 1 as never })).toThrow(RwsError);
  });
});
