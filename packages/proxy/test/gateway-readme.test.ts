import { readFileSync } from 'node:fs';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, formatConfigProblem, GatewayConfigError } from '../src/index.js';
import { httpCall, serveHandler, startBackend } from './gateway-helpers.js';

// rust-web-server's README "Quick start — config-driven proxy", verbatim. In rust-web-server
// it yields 502s and no auth; here it must proxy and enforce auth.
const README = readFileSync(
  new URL('./fixtures/rust-web-server-readme.toml', import.meta.url),
  'utf8',
);
const API = { host: 'api.example.com' };

async function serveGateway(text: string, env: Record<string, string>) {
  const gateway = await createGateway(text, { env });
  onTestFinished(() => gateway.close());
  return { gateway, port: await serveHandler(gateway.handler) };
}

describe('the rust-web-server README example', () => {
  it('as written: auth is enforced before anything is proxied; the catch-all answers 404 "Not Found"', async () => {
    const { port } = await serveGateway(README, { API_TOKEN: 'sekret' });
    const anonymous = await httpCall(port, '/v1/users', { headers: API });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers['www-authenticate']).toBe('Bearer realm="api"');
    expect(anonymous.headers['ratelimit-policy']).toBe('"default";q=500;w=60');
    const wrong = await httpCall(port, '/v1/users', {
      headers: { ...API, authorization: 'Bearer nope' },
    });
    expect(wrong.status).toBe(401);
    const other = await httpCall(port, '/anything');
    expect(other.status).toBe(404);
    expect(other.body).toBe('Not Found');
    expect(other.headers['content-type']).toBe('text/plain; charset=utf-8');
    // Another host does not match route 0, even on /v1/.
    const otherHost = await httpCall(port, '/v1/users', {
      headers: { host: 'www.example.com', authorization: 'Bearer sekret' },
    });
    expect(otherHost.status).toBe(404);
  });

  it('with its backends on real servers: proxies round robin with the token, 429 past the limit', async () => {
    const a = await startBackend('a');
    const b = await startBackend('b');
    const text = README.replace(
      '"10.0.0.10:8080", "10.0.0.11:8080"',
      `"${a.address}", "${b.address}"`,
    ).replace('max_requests = 500', 'max_requests = 6');
    expect(text).not.toBe(README);
    const { port } = await serveGateway(text, { API_TOKEN: 'sekret' });
    const auth = { ...API, authorization: 'Bearer sekret' };
    const names: string[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await httpCall(port, `/v1/users?page=${i}`, { headers: auth });
      expect(res.status).toBe(200);
      const echo = JSON.parse(res.body) as {
        name: string;
        url: string;
        headers: Record<string, string>;
      };
      names.push(echo.name);
      expect(echo.url).toBe(`/v1/users?page=${i}`);
      expect(echo.headers['x-forwarded-for']).toBe('127.0.0.1');
      expect(echo.headers['x-forwarded-host']).toBe('api.example.com');
      expect(echo.headers['authorization']).toBe('Bearer sekret');
    }
    expect(names.sort()).toEqual(['a', 'a', 'b', 'b']);
    await httpCall(port, '/v1/x', { headers: auth });
    await httpCall(port, '/v1/x', { headers: auth });
    const limited = await httpCall(port, '/v1/x', { headers: auth });
    expect(limited.status).toBe(429);
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    const seen = [...a.seen, ...b.seen];
    expect(seen.filter((r) => r.url !== '/healthz')).toHaveLength(6);
    // [upstream.health_check] is live: both backends were probed on its path.
    expect(
      a.seen.some((r) => r.url === '/healthz') && b.seen.some((r) => r.url === '/healthz'),
    ).toBe(true);
  });

  it('without API_TOKEN it refuses to start (never an open route), naming key and line', async () => {
    const err = await createGateway(README, { env: {} }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(GatewayConfigError);
    expect((err as GatewayConfigError).problems.map(formatConfigProblem)).toEqual([
      'rws.config.toml:19: route[0].middleware.auth: bearerAuth: environment variable API_TOKEN is not set or empty (refusing to start open)',
    ]);
  });
});
