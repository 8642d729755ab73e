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

  it('renders cumulative histogram buckets in ascending order', () => {
    const metrics = createMetrics({ buckets: [1, 0.5] });
    const handler = compose([metrics], () => text('x'));
    handler(createRequest({ method: 'GET', target: '/' }));
    const out = metrics.render();
    const half = out.indexOf('le="0.5"} 1');
    const one = out.indexOf('le="1"} 1');
    expect(half).toBeGreaterThan(0);
    expect(one).toBeGreaterThan(half);
    expect(DEFAULT_DURATION_BUCKETS).toHaveLength(11);
    expect(metrics.response().headers.get('content-type')).toBe(METRICS_CONTENT_TYPE);
  });
});
