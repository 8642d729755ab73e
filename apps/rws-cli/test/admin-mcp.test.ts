/**
 * The admin MCP endpoint (`[admin] mcp_token`, issue #19), through the real binary and the
 * official MCP SDK client: the tools read status, configuration, metrics, routes and upstream
 * health, reload the configuration and toggle maintenance mode; the token guards all of it.
 */
import { writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { describe, expect, it, onTestFinished } from 'vitest';
import { redactConfig } from '../src/admin-mcp.js';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

const TOKEN = 'test-admin-token-0123456789';

async function backend(): Promise<string> {
  const server = createServer((_req, res) => res.end('from backend'));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return `127.0.0.1:${(server.address() as { port: number }).port}`;
}

function config(api: string, extraRoute = ''): string {
  return [
    '[admin]',
    'listen = "127.0.0.1:0"',
    'mcp_token = "env://RWS_ADMIN_TOKEN"',
    '',
    '[[upstream]]',
    'name = "api"',
    `backends = ["${api}"]`,
    '',
    '[[route]]',
    'name = "api"',
    '[route.match]',
    'path = "/api/*"',
    '[route.action]',
    'type = "proxy"',
    'upstream = "api"',
    extraRoute,
  ].join('\n');
}

function textOf(result: Awaited<ReturnType<Client['callTool']>>): string {
  return (result.content as { type: string; text: string }[]).map((c) => c.text).join('');
}

describe('rws admin MCP endpoint (issue #19)', () => {
  it('serves the admin tools to the SDK client behind the token', async () => {
    const dir = tempDir('rws-admin-mcp-');
    const file = join(dir, 'rws.config.toml');
    const api = await backend();
    writeFileSync(file, config(api));
    const rws = await startCli(['--port', '0'], {
      cwd: dir,
      env: cleanEnv({ RWS_ADMIN_TOKEN: TOKEN }),
    });
    const admin = /(http:\/\/127\.0\.0\.1:\d+)\/?\s*\(admin/.exec(rws.stdout);
    expect(admin, rws.stdout).not.toBeNull();
    const endpoint = new URL(`${admin![1]}/mcp`);

    // No token, or a wrong one: 401 before any MCP.
    const anonymous = await fetch(endpoint, { method: 'POST' });
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Bearer realm="rws-admin"');
    const wrong = await fetch(endpoint, {
      method: 'POST',
      headers: { authorization: 'Bearer not-the-token' },
    });
    expect(wrong.status).toBe(401);
    expect((await fetch(`${rws.origin}/mcp`)).status).toBe(404); // not on the site

    const client = new Client({ name: 'ops-agent', version: '1' });
    await client.connect(
      new StreamableHTTPClientTransport(endpoint, {
        requestInit: { headers: { authorization: `Bearer ${TOKEN}` } },
      }),
    );
    const names = (await client.listTools()).tools.map((t) => t.name).sort();
    expect(names).toEqual([
      'get_config',
      'get_metrics',
      'list_routes',
      'reload_config',
      'set_maintenance',
      'status',
      'upstream_health',
    ]);

    expect((await fetch(`${rws.origin}/api/x`)).status).toBe(200);
    const status = JSON.parse(textOf(await client.callTool({ name: 'status', arguments: {} })));
    expect(status).toMatchObject({
      ready: true,
      maintenance: { enabled: false },
      configFile: file,
    });

    const cfg = textOf(await client.callTool({ name: 'get_config', arguments: {} }));
    expect(JSON.parse(cfg)).toMatchObject({ adminMcpToken: '(redacted)', configFile: file });
    expect(cfg).not.toContain(TOKEN);

    const metrics = textOf(await client.callTool({ name: 'get_metrics', arguments: {} }));
    expect(metrics).toContain(
      `rws_upstream_backend_requests_total{upstream="api",backend="http://${api}"} 1`,
    );

    const routes = JSON.parse(
      textOf(await client.callTool({ name: 'list_routes', arguments: {} })),
    );
    expect(routes).toMatchObject([{ name: 'api', action: { type: 'proxy', upstream: 'api' } }]);

    const health = JSON.parse(
      textOf(await client.callTool({ name: 'upstream_health', arguments: {} })),
    );
    expect(health).toMatchObject([
      { name: 'api', backends: [{ url: `http://${api}`, ejected: false, requests: 1 }] },
    ]);

    // Maintenance: the site answers 503 with Retry-After; the admin listener keeps working.
    await client.callTool({
      name: 'set_maintenance',
      arguments: { enabled: true, retryAfterSeconds: 120 },
    });
    const down = await fetch(`${rws.origin}/api/x`);
    expect(down.status).toBe(503);
    expect(down.headers.get('retry-after')).toBe('120');
    expect((await fetch(`${admin![1]}/healthz`)).status).toBe(200);
    await client.callTool({ name: 'set_maintenance', arguments: { enabled: false } });
    expect((await fetch(`${rws.origin}/api/x`)).status).toBe(200);

    // Reload: a new route applies; a broken file is reported and changes nothing.
    writeFileSync(
      file,
      config(
        api,
        '\n[[route]]\nname = "hello"\n[route.match]\npath = "/hello"\n[route.action]\ntype = "respond"\nstatus = 200\nbody = "hello"\n',
      ),
    );
    const reloaded = await client.callTool({ name: 'reload_config', arguments: {} });
    expect(reloaded.isError).toBe(false);
    expect(textOf(reloaded)).toContain('rws: reloaded configuration');
    expect(await (await fetch(`${rws.origin}/hello`)).text()).toBe('hello');
    writeFileSync(file, `${config(api)}\nbogus_key = 1\n`);
    const refused = await client.callTool({ name: 'reload_config', arguments: {} });
    expect(refused.isError).toBe(true);
    expect(textOf(refused)).toContain('still serving the previous configuration');
    expect(await (await fetch(`${rws.origin}/hello`)).text()).toBe('hello');

    await client.close();
    expect(await rws.stop()).toBe(0);
  }, 60_000);

  it('redacts secrets from the configuration it shows', () => {
    expect(
      redactConfig({
        basicAuth: { ada: 'pw' },
        adminMcpToken: 'x',
        proxy: { database: { url: 'postgres://app:hunter2@db/app' }, token_env: 'NAME' },
        port: 80,
      }),
    ).toEqual({
      basicAuth: '(redacted)',
      adminMcpToken: '(redacted)',
      proxy: { database: { url: 'postgres://app:(redacted)@db/app' }, token_env: '(redacted)' },
      port: 80,
    });
  });
});
