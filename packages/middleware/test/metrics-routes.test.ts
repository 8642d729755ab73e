/**
 * Per-route metrics (issue #13): an App served over @rws/http1 sockets behind the metrics
 * middleware; requests are counted under the matched route pattern, never the raw path, and
 * everything no route matched under one fixed label.
 */
import { compose, createRequest, json, text } from '@rws/core';
import { createApp, ROUTE_PATTERN, routePattern } from '@rws/router';
import { describe, expect, it } from 'vitest';
import { createMetrics, UNMATCHED_ROUTE } from '../src/metrics/index.js';
import { httpCall, serveHandler } from './serve-helpers.js';

describe('metrics by route pattern', () => {
  it('counts /users/1 and /users/2 under route="/users/:id"; 404s under (unmatched)', async () => {
    const seen: (string | null)[] = [];
    const users = createApp();
    users.get('/:id', (req) => json({ id: req.params.id }));
    // Quiet: the 500 below is on purpose.
    const app = createApp({ logger: { error() {} } });
    app.use((req, next) => {
      // Set before the route's middleware runs.
      seen.push(routePattern(req));
      return next(req);
    });
    app.get('/health', () => text('ok'));
    app.post('/boom', () => {
      throw new Error('boom');
    });
    app.mount('/users', users);
    const metrics = createMetrics();
    // Before any routed request: no route families at all (a static server never gets them).
    expect(metrics.render()).not.toContain('rws_http_route_');
    const port = await serveHandler(compose([metrics], app.handler));

    expect((await httpCall(port, '/users/1')).status).toBe(200);
    expect((await httpCall(port, '/users/2?x=1')).status).toBe(200);
    expect((await httpCall(port, '/health')).status).toBe(200);
    expect((await httpCall(port, '/boom', { method: 'POST' })).status).toBe(500);
    for (const path of ['/nope', '/random/a1b2', '/users/1/2']) {
      expect((await httpCall(port, path)).status).toBe(404);
    }
    // A known path with the wrong method: 405, no route matched.
    expect((await httpCall(port, '/health', { method: 'DELETE' })).status).toBe(405);
    expect(seen.slice(0, 4)).toEqual(['/users/:id', '/users/:id', '/health', '/boom']);

    const out = metrics.render();
    expect(out).toContain('rws_http_route_requests_total{route="/users/:id",status_class="2xx"} 2');
    expect(out).toContain('rws_http_route_requests_total{route="/health",status_class="2xx"} 1');
    expect(out).toContain('rws_http_route_requests_total{route="/boom",status_class="5xx"} 1');
    expect(out).toContain(
      `rws_http_route_requests_total{route="${UNMATCHED_ROUTE}",status_class="4xx"} 4`,
    );
    expect(out).toContain('rws_http_route_request_duration_seconds_count{route="/users/:id"} 2');
    expect(out).toContain(
      'rws_http_route_request_duration_seconds_bucket{route="/users/:id",le="+Inf"} 2',
    );
    // No raw path ever becomes a label value.
    for (const raw of ['/users/1', '/users/2', '/nope', 'a1b2']) {
      expect(out).not.toContain(`route="${raw}"`);
    }
    const routes = new Set([...out.matchAll(/route="([^"]*)"/g)].map((m) => m[1]));
    expect([...routes].sort()).toEqual(['(unmatched)', '/boom', '/health', '/users/:id']);
    // The totals still count everything.
    expect(out).toContain('rws_http_requests_total{status_class="4xx"} 4');
    expect(ROUTE_PATTERN).toBe(Symbol.for('rws.route'));
  });

  it('escapes a pattern in the label value', () => {
    const metrics = createMetrics();
    compose([metrics], (req) => {
      (req as unknown as Record<symbol, unknown>)[ROUTE_PATTERN] = '/say/"hi"\\\n';
      return text('x');
    })(createRequest({ method: 'GET', target: '/' }));
    expect(metrics.render()).toContain(
      'rws_http_route_requests_total{route="/say/\\"hi\\"\\\\\\n",status_class="2xx"} 1',
    );
  });
});
