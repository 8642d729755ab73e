import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseGatewayConfig } from '../src/index.js';

// Whatever the input, validation reports problems (each with a code and a key) or returns a
// config; it never throws.
describe('parseGatewayConfig never throws (fast-check)', () => {
  const line = fc.oneof(
    fc.constantFrom(
      '[[route]]',
      '[[upstream]]',
      '[route.match]',
      '[route.action]',
      '[route.action.proxy]',
      '[route.middleware]',
      '[[route.middleware.rewrite.request]]',
      '[upstream.health_check]',
      '[middleware]',
      '[admin]',
      '[[tcp_proxy]]',
      'type = "proxy"',
      'type = "respond"',
      'type = "static"',
      'type = "uri_regex"',
      'upstream = "api"',
      'name = "api"',
      'backends = ["127.0.0.1:1", "[::1]:2", "x"]',
      'path = "/v1/*"',
      'status = 404',
      'pattern = "("',
      'rate_limit = { max_requests = 0 }',
      'auth = { type = "jwt" }',
      'interval_secs = "x"',
      'headers = { a = 1 }',
      'method = [1]',
      'x = { a = 1 }',
    ),
    fc.string({ maxLength: 20 }),
  );
  it('text input', () => {
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), (lines) => {
        const r = parseGatewayConfig(lines.join('\n'));
        expect(r.config === null).toBe(r.problems.length > 0);
        for (const p of r.problems) {
          expect(p.code).toMatch(/^RWS_PROXY_CONFIG_/);
          expect(p.key.length).toBeGreaterThan(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('object input', () => {
    fc.assert(
      fc.property(fc.object({ maxDepth: 4 }), (tree) => {
        const r = parseGatewayConfig(tree);
        for (const p of r.problems) expect(p.code).toMatch(/^RWS_PROXY_CONFIG_/);
      }),
      { numRuns: 300 },
    );
  });
});
