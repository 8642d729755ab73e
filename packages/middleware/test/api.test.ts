import { expect, it } from 'vitest';

it('exports of @rws/middleware', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
    ]
  `);
});

it('exports of @rws/middleware/static', async () => {
  expect(Object.keys(await import('../src/static/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "serveStatic",
      "serveStorage",
    ]
  `);
});

it('exports of @rws/middleware/cors', async () => {
  expect(Object.keys(await import('../src/cors/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "cors",
    ]
  `);
});

it('exports of @rws/middleware/access-log', async () => {
  expect(Object.keys(await import('../src/access-log/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "accessLog",
      "createLogSink",
      "defineLogFields",
    ]
  `);
});

it('exports of @rws/middleware/request-id', async () => {
  expect(Object.keys(await import('../src/request-id/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "MAX_REQUEST_ID_LENGTH",
      "isValidRequestId",
      "requestId",
    ]
  `);
});

it('exports of @rws/middleware/rate-limit', async () => {
  expect(Object.keys(await import('../src/rate-limit/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "createMemoryRateLimitStore",
      "createRedisRateLimitStore",
      "rateLimit",
    ]
  `);
});

it('exports of @rws/middleware/auth', async () => {
  expect(Object.keys(await import('../src/auth/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "basicAuth",
      "bearerAuth",
      "jwtAuth",
      "jwtClaims",
    ]
  `);
});

it('exports of @rws/middleware/ip-filter', async () => {
  expect(Object.keys(await import('../src/ip-filter/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ipFilter",
    ]
  `);
});

it('exports of @rws/middleware/rewrite', async () => {
  expect(Object.keys(await import('../src/rewrite/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "rewrite",
    ]
  `);
});

it('exports of @rws/middleware/timeout', async () => {
  expect(Object.keys(await import('../src/timeout/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "TimeoutError",
      "timeout",
    ]
  `);
});

it('exports of @rws/middleware/body-limit', async () => {
  expect(Object.keys(await import('../src/body-limit/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "bodyLimit",
    ]
  `);
});

it('exports of @rws/middleware/cache', async () => {
  expect(Object.keys(await import('../src/cache/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "cache",
    ]
  `);
});

it('exports of @rws/middleware/metrics', async () => {
  expect(Object.keys(await import('../src/metrics/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "DEFAULT_DURATION_BUCKETS",
      "METRICS_CONTENT_TYPE",
      "Metrics",
      "UNMATCHED_ROUTE",
      "createMetrics",
    ]
  `);
});

it('exports of @rws/middleware/compress', async () => {
  expect(Object.keys(await import('../src/compress/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "compress",
    ]
  `);
});

it('exports of @rws/middleware/security-headers', async () => {
  expect(
    Object.keys(await import('../src/security-headers/index.js')).sort(),
  ).toMatchInlineSnapshot(`
    [
      "DEFAULT_CSP_DIRECTIVES",
      "securityHeaders",
    ]
  `);
});

it('exports of @rws/middleware/cookies', async () => {
  expect(Object.keys(await import('../src/cookies/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "createCookieKeys",
      "getEncryptedCookie",
      "getSignedCookie",
      "setEncryptedCookie",
      "setSignedCookie",
    ]
  `);
});

it('exports of @rws/middleware/session', async () => {
  expect(Object.keys(await import('../src/session/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "Session",
      "createMemorySessionStore",
      "createRedisSessionStore",
      "getSession",
      "session",
    ]
  `);
});

it('exports of @rws/middleware/session-sql', async () => {
  expect(Object.keys(await import('../src/session-sql/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "createSqlSessionStore",
    ]
  `);
});

it('exports of @rws/middleware/csrf', async () => {
  expect(Object.keys(await import('../src/csrf/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "csrf",
      "csrfToken",
    ]
  `);
});

it('exports of @rws/middleware/webhooks', async () => {
  expect(Object.keys(await import('../src/webhooks/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "verifyWebhookSignature",
      "webhookSignature",
    ]
  `);
});

it('exports of @rws/middleware/passwords', async () => {
  expect(Object.keys(await import('../src/passwords/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "HAS_ARGON2",
      "generateToken",
      "hashPassword",
      "needsRehash",
      "verifyPassword",
    ]
  `);
});

it('exports of @rws/middleware/forward-auth', async () => {
  expect(Object.keys(await import('../src/forward-auth/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "forwardAuth",
    ]
  `);
});

it('exports of @rws/middleware/tracing', async () => {
  expect(Object.keys(await import('../src/tracing/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "parseTraceparent",
      "parseTracestate",
      "serverSpanAttributes",
      "traceContext",
      "tracing",
    ]
  `);
});

it('package.json exports a subpath for every middleware folder', async () => {
  const { readFile } = await import('node:fs/promises');
  const pkg = JSON.parse(await readFile(new URL('../package.json', import.meta.url), 'utf8'));
  expect(Object.keys(pkg.exports).sort()).toMatchInlineSnapshot(`
    [
      ".",
      "./access-log",
      "./auth",
      "./body-limit",
      "./cache",
      "./compress",
      "./cookies",
      "./cors",
      "./csrf",
      "./forward-auth",
      "./ip-filter",
      "./metrics",
      "./package.json",
      "./passwords",
      "./rate-limit",
      "./request-id",
      "./rewrite",
      "./security-headers",
      "./session",
      "./session-sql",
      "./static",
      "./timeout",
      "./tracing",
      "./webhooks",
    ]
  `);
});
