/**
 * Runs every example as its own process, as a user would (`node --import tsx
 * --conditions=@rws/source examples/<name>.ts` with PORT=0), reads the URL it prints, makes a
 * real request and checks the answer. The examples start in `beforeAll`, a few at a time
 * (START_CONCURRENCY): all at once, their start-up (tsx compiling each one) competes for the
 * CPU and on a two-core machine the slowest could miss its start timeout. Every child is killed
 * in `afterAll`.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect as connectH2, type IncomingHttpHeaders } from 'node:http2';
import { request as httpsRequest, type RequestOptions } from 'node:https';
import { createConnection } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { fileURLToPath } from 'node:url';
import { CONFIG_KEYS } from '@rws/cli';
import { Http3Client } from '@rws/h3';
import { WebSocket as RwsWebSocket } from '@rws/http1/websocket';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));

interface Example {
  readonly name: Name;
  readonly child: ChildProcess;
  readonly url: string;
  /** Everything the process printed on stdout so far. */
  stdout(): string;
  /** Resolves once stdout contains `text`. */
  waitFor(text: string, timeoutMs?: number): Promise<void>;
  /** Resolves with the exit code (or signal) once the process has exited. */
  readonly exited: Promise<number | NodeJS.Signals | null>;
}

const NAMES = [
  'hello-http1',
  'app-routing',
  'validation-zod',
  'uploads-multipart',
  'static-site',
  'tls-sni',
  'ingress-tls',
  'ocsp-stapling',
  'http3',
  'http3-mtls',
  'sse-clock',
  'http-client',
  'graceful-shutdown',
  'gateway',
  'gateway-bucket',
  'reverse-proxy',
  'proxy-h3-upstream',
  'orm-users-api',
  'db-migrations',
  'websocket-chat',
  'websocket-h2',
  'websocket-proxy-h2',
  'websocket-h3',
  'websocket-proxy-h2-backend',
  'mcp-server',
  'mcp-interactive',
  'mcp-gateway',
  'mcp-stateless',
  'mcp-resumable',
  'mcp-everything',
  'mcp-modern',
  'storage-files',
  'jobs-queue',
  'jobs-groups',
  'mailer-contact',
  'h2c-server',
  'sessions-login',
  'service-discovery',
  'oidc-login',
  'saml-login',
  'gateway-oidc',
  'web-runtimes',
  'oauth2-server',
  'acme-certificates',
  'templates-eta',
  'tracing-otel',
] as const;
type Name = (typeof NAMES)[number];

// tls-sni and websocket-h2 make their certificates with the openssl command. Without it those
// examples are skipped with a visible reason, except in CI, where a missing tool is a failure.
const hasOpenssl = spawnSync('openssl', ['version']).status === 0;
const skipTls = !hasOpenssl && process.env['CI'] !== 'true';
const NEEDS_OPENSSL: readonly Name[] = [
  'tls-sni',
  'ingress-tls',
  'ocsp-stapling',
  'websocket-h2',
  'http3',
  'http3-mtls',
  'websocket-h3',
  'proxy-h3-upstream',
];
const TO_START = NAMES.filter((n) => !NEEDS_OPENSSL.includes(n) || !skipTls);

function start(name: Name): Promise<Example> {
  const child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@rws/source', `examples/${name}.ts`],
    {
      cwd: ROOT,
      env: { ...process.env, PORT: '0', NO_COLOR: '1' },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  let out = '';
  let err = '';
  const waiters = new Set<() => void>();
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    out += chunk;
    for (const w of waiters) w();
  });
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    err += chunk;
  });
  const exited = new Promise<number | NodeJS.Signals | null>((resolve) => {
    child.once('exit', (code, signal) => {
      for (const w of waiters) w();
      resolve(code ?? signal);
    });
  });
  const waitFor = (text: string, timeoutMs = 60_000): Promise<void> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        if (out.includes(text)) done(null);
        else if (child.exitCode !== null || child.signalCode !== null)
          done(new Error(`${name} exited (${child.exitCode ?? child.signalCode}): ${err || out}`));
      };
      const timer = setTimeout(
        () => done(new Error(`${name}: no "${text}" after ${timeoutMs} ms: ${err || out}`)),
        timeoutMs,
      );
      const done = (error: Error | null): void => {
        clearTimeout(timer);
        waiters.delete(check);
        if (error) reject(error);
        else resolve();
      };
      waiters.add(check);
      check();
    });
  return waitFor('listening on').then(
    () => {
      // The first URL printed is the server's own, with the real port.
      const match = /https?:\/\/[^\s/]+/.exec(out.slice(out.indexOf('listening on')));
      if (!match) throw new Error(`${name}: no URL in ${out}`);
      return { name, child, url: match[0], stdout: () => out, waitFor, exited };
    },
    (error: unknown) => {
      child.kill('SIGKILL');
      throw error;
    },
  );
}

const running = new Map<Name, Example>();
function ex(name: Name): Example {
  const found = running.get(name);
  if (!found) throw new Error(`${name} did not start`);
  return found;
}

const START_CONCURRENCY = 4;

/** Starts every example with at most START_CONCURRENCY start-ups in flight. */
async function startAll(names: readonly Name[]): Promise<PromiseSettledResult<Example>[]> {
  const results: PromiseSettledResult<Example>[] = [];
  let next = 0;
  const lane = async (): Promise<void> => {
    while (next < names.length) {
      const i = next++;
      results[i] = await start(names[i]!).then(
        (value) => ({ status: 'fulfilled', value }) as const,
        (reason: unknown) => ({ status: 'rejected', reason }) as const,
      );
    }
  };
  await Promise.all(Array.from({ length: START_CONCURRENCY }, lane));
  return results;
}

beforeAll(async () => {
  const started = await startAll(TO_START);
  for (const result of started)
    if (result.status === 'fulfilled') running.set(result.value.name, result.value);
  const failed = started.find((r) => r.status === 'rejected');
  if (failed) throw failed.reason;
}, 300_000);

afterAll(async () => {
  await Promise.all(
    [...running.values()].map(async (e) => {
      if (e.child.exitCode !== null || e.child.signalCode !== null) return;
      // SIGTERM first, so examples that made temporary files remove them; then no mercy.
      e.child.kill('SIGTERM');
      const timer = setTimeout(() => e.child.kill('SIGKILL'), 3000);
      await e.exited;
      clearTimeout(timer);
    }),
  );
});

describe('examples', () => {
  test('gateway-bucket: a bucket behind a static route, with validators and ranges', async () => {
    const { url } = ex('gateway-bucket');
    const index = await fetch(`${url}/`);
    expect([index.status, await index.text()]).toEqual([200, '<h1>served from a bucket</h1>\n']);
    const hello = await fetch(`${url}/hello.txt`);
    expect(await hello.text()).toBe('hello from the bucket\n');
    expect(hello.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    const etag = hello.headers.get('etag')!;
    const again = await fetch(`${url}/hello.txt`, { headers: { 'if-none-match': etag } });
    expect(again.status).toBe(304);
    const part = await fetch(`${url}/hello.txt`, { headers: { range: 'bytes=0-4' } });
    expect([part.status, await part.text()]).toEqual([206, 'hello']);
    expect((await fetch(`${url}/missing.txt`)).status).toBe(404);
  });

  test('gateway: bearer auth, round robin proxy, redirect, cache, catch-all 404', async () => {
    const { url } = ex('gateway');
    expect((await fetch(`${url}/v1/hello`)).status).toBe(401);
    const seen = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const res = await fetch(`${url}/v1/hello`, {
        headers: { authorization: 'Bearer demo-token' },
      });
      expect(res.status).toBe(200);
      const body = (await res.json()) as { backend: string; path: string };
      expect(body.path).toBe('/v1/hello');
      seen.add(body.backend);
    }
    expect([...seen].sort()).toEqual(['a', 'b']);
    const moved = await fetch(`${url}/old/page`, { redirect: 'manual' });
    expect([moved.status, moved.headers.get('location')]).toEqual([301, '/v1/old/page']);
    await (await fetch(`${url}/time`)).arrayBuffer();
    const cached = await fetch(`${url}/time`);
    await cached.arrayBuffer();
    expect(cached.headers.get('cache-status')).toMatch(/hit/);
    const other = await fetch(`${url}/nothing`, { headers: { origin: 'https://app.example' } });
    expect([other.status, await other.text()]).toEqual([404, 'Not Found']);
    // [middleware]: security headers and CORS on every answer, the 404 included.
    expect(other.headers.get('content-security-policy')).toBe("default-src 'none'");
    expect(other.headers.get('x-content-type-options')).toBe('nosniff');
    expect(other.headers.get('access-control-allow-origin')).toBe('https://app.example');
  });

  test('h2c-server answers HTTP/1.1, and HTTP/2 after curl --http2 upgrades', async () => {
    const { url } = ex('h2c-server');
    const h1 = (await (await fetch(`${url}/`)).json()) as { protocol: string };
    expect(h1.protocol).toBe('http/1.1');
    const upgraded = spawnSync('curl', ['-sS', '-i', '--http2', `${url}/`], { encoding: 'utf8' });
    expect(upgraded.stdout).toMatch(/^HTTP\/1\.1 101 /);
    expect(upgraded.stdout).toContain('"protocol":"h2"');
  });

  test('acme-certificates serves a stand-in until the CA answers, and answers HTTP-01', async () => {
    // No CA listens at the example's default directory here: it keeps serving and retrying.
    const example = ex('acme-certificates');
    const { port } = new URL(example.url);
    const body = await new Promise<{ cn: unknown; body: string }>((resolve, reject) => {
      const req = httpsRequest(
        {
          host: '127.0.0.1',
          port: Number(port),
          path: '/',
          servername: 'acme.localhost',
          headers: { host: 'acme.localhost' },
          rejectUnauthorized: false, // the self-signed stand-in
          agent: false,
        },
        (res) => {
          const cn = (res.socket as TLSSocket).getPeerCertificate().subject?.CN;
          let text = '';
          res.setEncoding('utf8');
          res.on('data', (c: string) => {
            text += c;
          });
          res.on('end', () => resolve({ cn, body: text }));
        },
      );
      req.on('error', reject);
      req.end();
    });
    expect(body.cn).toBe('acme.localhost');
    expect(JSON.parse(body.body)).toMatchObject({ domain: 'acme.localhost', isStandIn: true });
    const plain = /HTTP-01 and redirects on (http:\/\/\S+)/.exec(example.stdout())?.[1];
    expect(plain).toBeDefined();
    const token = await fetch(`${plain}/.well-known/acme-challenge/unknown`);
    expect(token.status).toBe(404);
  });

  test('hello-http1 answers a raw handler and echoes JSON', async () => {
    const { url } = ex('hello-http1');
    const res = await fetch(`${url}/`);
    expect(res.headers.get('server')).toBe('rws-example');
    expect(await res.text()).toContain('hello from rws over http/1.1 (GET /)');
    const echo = await fetch(`${url}/echo`, { method: 'POST', body: '{"name":"rws"}' });
    expect(await echo.json()).toEqual({ received: { name: 'rws' } });
  });

  test('app-routing: params, HttpError, 405, group middleware', async () => {
    const { url } = ex('app-routing');
    expect(await (await fetch(`${url}/users/1`)).json()).toEqual({ id: '1', name: 'Ada' });
    const missing = await fetch(`${url}/users/99`);
    expect(missing.status).toBe(404);
    expect(await missing.json()).toMatchObject({ error: { status: 404, message: 'no user 99' } });
    const wrongMethod = await fetch(`${url}/users/1`, { method: 'DELETE' });
    expect(wrongMethod.status).toBe(405);
    expect(wrongMethod.headers.get('allow')).toContain('GET');
    expect((await fetch(`${url}/admin/stats`)).status).toBe(401);
    const stats = await fetch(`${url}/admin/stats`, {
      headers: { authorization: 'Bearer secret' },
    });
    expect(await stats.json()).toEqual({ users: 1 });
    expect(stats.headers.get('server-timing')).toMatch(/^app;dur=/);
  });

  test('templates-eta: layout, partial, escaped values and a named missing template', async () => {
    const { url } = ex('templates-eta');
    const home = await fetch(`${url}/`);
    expect(home.status).toBe(200);
    expect(home.headers.get('content-type')).toMatch(/^text\/html/);
    const page = await home.text();
    expect(page).toContain('<title>rws templates</title>');
    expect(page).toContain('<nav>');
    expect(page).toContain('Say hello to &lt;Ada&gt;');
    const xss = await (await fetch(`${url}/hello/%3Cscript%3Ealert(1)%3C%2Fscript%3E`)).text();
    expect(xss).toContain('Hello, &lt;script&gt;alert(1)&lt;/script&gt;!');
    expect(xss).not.toContain('<script>');
    expect((await fetch(`${url}/missing`)).status).toBe(500);
  });

  test('validation-zod: 201, 422 with paths, OpenAPI and /docs', async () => {
    const { url } = ex('validation-zod');
    const created = await fetch(`${url}/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: 'write docs' }),
    });
    expect(created.status).toBe(201);
    expect(await created.json()).toEqual({ id: 1, title: 'write docs', priority: 3 });
    const invalid = await fetch(`${url}/todos`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ title: '', priority: 9 }),
    });
    expect(invalid.status).toBe(422);
    const { errors } = (await invalid.json()) as { errors: { path: string }[] };
    expect(errors.map((e) => e.path).sort()).toEqual(['body.priority', 'body.title']);
    const doc = (await (await fetch(`${url}/openapi.json`)).json()) as {
      openapi: string;
      paths: Record<string, unknown>;
    };
    expect(doc.openapi).toMatch(/^3\.1/);
    expect(Object.keys(doc.paths).sort()).toEqual(['/todos', '/todos/{id}']);
    const docs = await fetch(`${url}/docs`);
    expect(docs.headers.get('content-type')).toContain('text/html');
  });

  test('uploads-multipart streams and hashes each file', async () => {
    const { url } = ex('uploads-multipart');
    const content = 'x'.repeat(100_000);
    const form = new FormData();
    form.append('note', 'hello');
    form.append('file', new Blob([content], { type: 'text/plain' }), 'a.txt');
    const res = await fetch(`${url}/upload`, { method: 'POST', body: form });
    expect(res.status).toBe(201);
    expect(await res.json()).toEqual({
      fields: { note: 'hello' },
      files: [
        {
          field: 'file',
          filename: 'a.txt',
          type: 'text/plain',
          bytes: 100_000,
          sha256: createHash('sha256').update(content).digest('hex'),
        },
      ],
    });
  });

  test('storage-files: streamed upload, download, range, list, signed link, bad key 400, delete', async () => {
    const { url } = ex('storage-files');
    const content = 'storage example '.repeat(10_000);
    const put = await fetch(`${url}/files/docs/a.txt`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain' },
      body: content,
    });
    expect(put.status).toBe(201);
    expect(await put.json()).toMatchObject({ key: 'docs/a.txt', size: content.length });
    const got = await fetch(`${url}/files/docs/a.txt`);
    expect(got.headers.get('content-type')).toBe('text/plain');
    expect(await got.text()).toBe(content);
    const part = await fetch(`${url}/files/docs/a.txt`, { headers: { range: 'bytes=0-6' } });
    expect(part.status).toBe(206);
    expect(part.headers.get('content-range')).toBe(`bytes 0-6/${content.length}`);
    expect(await part.text()).toBe('storage');
    expect(await (await fetch(`${url}/list?prefix=docs/`)).json()).toEqual({
      keys: ['docs/a.txt'],
      cursor: null,
    });
    const shared = (await (await fetch(`${url}/share/docs/a.txt`, { method: 'POST' })).json()) as {
      url: string;
    };
    expect(shared.url.startsWith(`${url}/signed/docs/a.txt?`)).toBe(true);
    expect(await (await fetch(shared.url)).text()).toBe(content);
    expect((await fetch(shared.url.replace('a.txt', 'b.txt'))).status).toBe(403);
    expect((await fetch(`${url}/files/docs%5C..%5Cx`)).status).toBe(400);
    expect((await fetch(`${url}/files/docs/a.txt`, { method: 'DELETE' })).status).toBe(204);
    expect((await fetch(`${url}/files/docs/a.txt`)).status).toBe(404);
  });

  test('static-site serves files, CORS, routes, health and logs', async () => {
    const example = ex('static-site');
    const page = await fetch(`${example.url}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('etag')).toBeTruthy();
    expect(await page.text()).toContain('rws static site');
    const range = await fetch(`${example.url}/style.css`, { headers: { range: 'bytes=0-1' } });
    expect(range.status).toBe(206);
    expect(await range.text()).toBe('h1');
    const api = await fetch(`${example.url}/api/time`, {
      headers: { origin: 'https://app.example' },
    });
    expect(api.headers.get('access-control-allow-origin')).toBe('https://app.example');
    expect(await api.json()).toHaveProperty('now');
    expect((await fetch(`${example.url}/healthz`)).status).toBe(200);
    await example.waitFor('"path":"/api/time"');
  });

  test.skipIf(skipTls)(
    'http3 answers HTTP/3 on the TLS port number and advertises it with Alt-Svc (needs openssl)',
    async () => {
      const { url } = ex('http3');
      const port = Number(new URL(url).port);
      const client = await Http3Client.connect({
        host: '127.0.0.1',
        port,
        serverName: 'localhost',
        rejectUnauthorized: false, // self-signed, made by the example at start-up
      });
      try {
        const res = await client.request({ path: '/over-h3' });
        expect(JSON.parse(Buffer.from(res.body).toString())).toEqual({
          protocol: 'h3',
          path: '/over-h3',
        });
      } finally {
        await client.close();
      }
      // The server's session ticket resumes the next connection without a certificate.
      const sessionTicket = client.sessionTicket;
      expect(sessionTicket).toBeDefined();
      const resumed = await Http3Client.connect({
        host: '127.0.0.1',
        port,
        serverName: 'localhost',
        rejectUnauthorized: false,
        sessionTicket: sessionTicket!,
      });
      try {
        expect(resumed.isResumed).toBe(true);
        expect((await resumed.request({ path: '/again' })).status).toBe(200);
      } finally {
        await resumed.close();
      }
      const altSvc = await new Promise<unknown>((resolve, reject) => {
        const req = httpsRequest(
          { host: '127.0.0.1', port, path: '/', rejectUnauthorized: false, agent: false },
          (res) => {
            res.resume();
            resolve(res.headers['alt-svc']);
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(altSvc).toBe(`h3=":${port}"; ma=86400`);
    },
  );

  test.skipIf(skipTls)(
    'ingress-tls serves the Ingress Secret by SNI and the rotated one after a watch event (needs openssl)',
    async () => {
      const { url } = ex('ingress-tls');
      const port = Number(new URL(url).port);
      const subject = (servername: string) =>
        new Promise<string>((resolve, reject) => {
          const socket = tlsConnect({
            host: '127.0.0.1',
            port,
            servername,
            rejectUnauthorized: false,
          });
          socket.once('secureConnect', () => {
            resolve(String(socket.getPeerCertificate().subject?.CN));
            socket.destroy();
          });
          socket.once('error', reject);
        });
      expect(await subject('shop.localhost')).toBe('shop.localhost (secret v1)');
      expect(await subject('localhost')).toBe('localhost');
      const rotate = await new Promise<string>((resolve, reject) => {
        const req = httpsRequest(
          {
            host: '127.0.0.1',
            port,
            path: '/demo/rotate',
            method: 'POST',
            rejectUnauthorized: false,
            agent: false,
          },
          (res) => {
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              body += c;
            });
            res.on('end', () => resolve(body));
          },
        );
        req.on('error', reject);
        req.end();
      });
      expect(rotate).toBe('the Secret is now v2\n');
      const end = Date.now() + 20_000;
      while ((await subject('shop.localhost')) !== 'shop.localhost (secret v2)') {
        if (Date.now() > end) throw new Error('the rotated Secret was not served');
        await new Promise((r) => setTimeout(r, 100));
      }
    },
  );

  test.skipIf(skipTls)(
    'proxy-h3-upstream relays HTTP/1.1 requests to an HTTP/3 backend (needs openssl)',
    async () => {
      const { url } = ex('proxy-h3-upstream');
      const upload = 'x'.repeat(100_000);
      const res = await fetch(`${url}/upload?n=1`, { method: 'POST', body: upload });
      expect(await res.json()).toEqual({
        protocol: 'h3',
        path: '/upload?n=1',
        bytes: upload.length,
        forwardedFor: '127.0.0.1',
      });
    },
  );

  test.skipIf(skipTls)(
    'http3-mtls picks the certificate by SNI and requires a client certificate over HTTP/3 (needs openssl)',
    async () => {
      const example = ex('http3-mtls');
      const port = Number(new URL(example.url).port);
      const paths = /CA: (\S+)\nclient certificate: (\S+) key: (\S+)/.exec(example.stdout());
      if (paths === null) throw new Error(`no certificate paths in ${example.stdout()}`);
      const [ca, cert, key] = paths.slice(1).map((p) => readFileSync(p, 'utf8'));
      const connect = (withCertificate: boolean) =>
        Http3Client.connect({
          host: '127.0.0.1',
          port,
          serverName: 'api.localhost',
          ca: [ca!],
          ...(withCertificate ? { cert: cert!, key: key! } : {}),
        });
      // The client checks the certificate names api.localhost: the SNI one was served.
      const client = await connect(true);
      try {
        const res = await client.request({ path: '/' });
        expect(JSON.parse(Buffer.from(res.body).toString())).toEqual({
          protocol: 'h3',
          sni: 'api.localhost',
          authorized: true,
          client: 'example client',
        });
      } finally {
        await client.close();
      }
      const anonymous = await connect(false);
      try {
        // Refused at the end of the handshake: the first request fails.
        await expect(anonymous.request({ path: '/' })).rejects.toThrow(/certificate/);
      } finally {
        await anonymous.close();
      }
    },
  );

  test.skipIf(skipTls)(
    'tls-sni picks the certificate by SNI and sends HSTS (needs openssl)',
    async () => {
      const { url } = ex('tls-sni');
      const { port } = new URL(url);
      const options: RequestOptions & ConnectionOptions = {
        host: '127.0.0.1',
        port: Number(port),
        path: '/',
        servername: 'api.localhost',
        ALPNProtocols: ['http/1.1'],
        headers: { host: `api.localhost:${port}` },
        rejectUnauthorized: false, // self-signed, made by the example at start-up
        agent: false,
      };
      const result = await new Promise<{ cn: unknown; hsts: unknown; body: string }>(
        (resolve, reject) => {
          const req = httpsRequest(options, (res) => {
            const cn = (res.socket as TLSSocket).getPeerCertificate().subject?.CN;
            let body = '';
            res.setEncoding('utf8');
            res.on('data', (c: string) => {
              body += c;
            });
            res.on('end', () =>
              resolve({ cn, hsts: res.headers['strict-transport-security'], body }),
            );
          });
          req.on('error', reject);
          req.end();
        },
      );
      expect(result.cn).toBe('api.localhost');
      expect(result.hsts).toBe('max-age=300');
      expect(JSON.parse(result.body)).toMatchObject({ sni: 'api.localhost', alpn: 'http/1.1' });
    },
  );

  test.skipIf(skipTls)(
    'ocsp-stapling staples a good response from its openssl responder (needs openssl)',
    async () => {
      const { url } = ex('ocsp-stapling');
      const { port } = new URL(url);
      const stapled = (): Promise<Buffer | null> =>
        new Promise((resolve, reject) => {
          let staple: Buffer | null = null;
          const socket = tlsConnect({
            host: '127.0.0.1',
            port: Number(port),
            servername: 'localhost',
            requestOCSP: true,
            rejectUnauthorized: false, // the example's own CA
          });
          socket.on('OCSPResponse', (r: Buffer | null) => {
            if (r && r.length > 0) staple = r;
          });
          socket.once('secureConnect', () => {
            socket.destroy();
            resolve(staple);
          });
          socket.once('error', reject);
        });
      // The first fetch runs in the background after start: ask until a handshake carries it.
      let response: Buffer | null = null;
      for (let i = 0; i < 120 && response === null; i++) {
        response = await stapled();
        if (response === null) await new Promise((r) => setTimeout(r, 500));
      }
      expect(response).not.toBeNull();
      // openssl reads the stapled bytes as an OCSP response saying the certificate is good.
      const file = join(tmpdir(), `rws-example-staple-${process.pid}.der`);
      writeFileSync(file, response ?? Buffer.alloc(0));
      const result = spawnSync('openssl', ['ocsp', '-respin', file, '-resp_text', '-noverify'], {
        encoding: 'utf8',
      });
      rmSync(file, { force: true });
      const text = result.stdout + result.stderr;
      expect(text).toMatch(/Cert Status: good/);
    },
  );

  test.skipIf(skipTls)(
    'websocket-h2: a WebSocket on an HTTP/2 stream (extended CONNECT) echoes (needs openssl)',
    async () => {
      const example = ex('websocket-h2');
      const echoed = await h2WebSocketHi(example.url.replace('localhost', '127.0.0.1'), '/echo');
      expect([...echoed]).toEqual([0x81, 0x02, 0x68, 0x69]);
      await example.waitFor('CONNECT /echo h2');
    },
  );

  test('websocket-proxy-h2: an h2c extended CONNECT WebSocket reaches the HTTP/1.1 backend through the proxy', async () => {
    const example = ex('websocket-proxy-h2');
    const echoed = await h2WebSocketHi(example.url, '/ws/echo');
    expect(echoed.subarray(2).toString()).toBe('echo: hi');
    // The backend got the RFC 6455 handshake, not a CONNECT.
    await example.waitFor('backend: GET /echo http/1.1');
  });

  test.skipIf(skipTls)(
    'websocket-h3: a WebSocket on an HTTP/3 stream (RFC 9220 extended CONNECT) echoes (needs openssl)',
    async () => {
      const example = ex('websocket-h3');
      const client = await Http3Client.connect({
        host: '127.0.0.1',
        port: Number(new URL(example.url).port),
        serverName: 'localhost',
        rejectUnauthorized: false, // self-signed, made by the example at start-up
      });
      try {
        const res = await client.request({
          path: '/echo',
          protocol: 'websocket',
          headers: [['sec-websocket-version', '13']],
        });
        expect(res.status).toBe(200);
        const ws = new RwsWebSocket(res.tunnel!, { isServer: false });
        await ws.send('hi');
        let echoed: unknown;
        for await (const message of ws) {
          echoed = message;
          break;
        }
        expect(echoed).toBe('h3: hi');
        await ws.close();
      } finally {
        await client.close();
      }
      await example.waitFor('CONNECT /echo h3');
    },
  );

  test('websocket-proxy-h2-backend: an HTTP/1.1 WebSocket reaches the h2 backend as extended CONNECT', async () => {
    const example = ex('websocket-proxy-h2-backend');
    const ws = new WebSocket(`${example.url.replace('http://', 'ws://')}/ws/echo`);
    const echoed = await new Promise<string>((resolve, reject) => {
      ws.onopen = () => ws.send('hi');
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error('the WebSocket failed'));
    });
    ws.close();
    expect(echoed).toBe('echo over h2: hi');
    // The backend got an HTTP/2 extended CONNECT, not an HTTP/1.1 Upgrade.
    await example.waitFor('backend: CONNECT /echo h2');
  });

  test('sse-clock streams tick events', async () => {
    const { url } = ex('sse-clock');
    const controller = new AbortController();
    const res = await fetch(`${url}/events`, { signal: controller.signal });
    expect(res.headers.get('content-type')).toContain('text/event-stream');
    const reader = res.body!.pipeThrough(new TextDecoderStream()).getReader();
    let received = '';
    while (!received.includes('event: tick')) {
      const { value, done } = await reader.read();
      if (done) break;
      received += value;
    }
    controller.abort();
    expect(received).toContain('event: tick\nid: 1\ndata: {"now":');
  });

  test('websocket-chat: /echo echoes, /chat broadcasts to the room (Node WebSocket client)', async () => {
    const { url } = ex('websocket-chat');
    const wsUrl = url.replace('http://', 'ws://');
    const open = (path: string): Promise<WebSocket> =>
      new Promise((resolve, reject) => {
        const ws = new WebSocket(`${wsUrl}${path}`);
        ws.onopen = () => resolve(ws);
        ws.onerror = () => reject(new Error(`cannot open ${path}`));
      });
    const next = (ws: WebSocket): Promise<string> =>
      new Promise((resolve) => {
        ws.addEventListener('message', (e) => resolve(String(e.data)), { once: true });
      });
    const echo = await open('/echo');
    const echoed = next(echo);
    echo.send('hello');
    expect(await echoed).toBe('hello');
    echo.close();
    const alice = await open('/chat');
    expect(await next(alice)).toBe('someone joined (1 here)');
    const bobJoined = next(alice);
    const bob = await open('/chat');
    expect(await bobJoined).toBe('someone joined (2 here)');
    const heard = next(alice);
    bob.send('hi alice');
    expect(await heard).toBe('hi alice');
    alice.close();
    bob.close();
  });

  test('http-client: request(), pool and a streamed upload, then /relay', async () => {
    const example = ex('http-client');
    await example.waitFor('streamed POST ->');
    expect(example.stdout()).toContain('streamed POST -> { bytes: 131072 }');
    const relay = await fetch(`${example.url}/relay`);
    expect(await relay.json()).toMatchObject({ via: 'pool', upstream: { hits: 12 } });
  });

  test('mcp-server: initialize, tools/call with structured output, resource template', async () => {
    const { url } = ex('mcp-server');
    const headers = MCP_HEADERS;
    const init = await mcpInitialize(url, '2025-06-18');
    expect(init.status).toBe(200);
    expect(await init.json()).toMatchObject({
      result: { protocolVersion: '2025-06-18', serverInfo: { name: 'rws-example' } },
    });
    const session = { ...headers, 'mcp-session-id': init.headers.get('mcp-session-id') ?? '' };
    const call = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: session,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'add', arguments: { a: 2, b: 3 } },
      }),
    });
    expect(await call.json()).toMatchObject({ id: 2, result: { structuredContent: { sum: 5 } } });
    const read = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: session,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 3,
        method: 'resources/read',
        params: { uri: 'greeting://Ada' },
      }),
    });
    expect(await read.json()).toMatchObject({
      result: { contents: [{ uri: 'greeting://Ada', text: 'Hello, Ada!' }] },
    });
    const noSession = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers,
      body: JSON.stringify({ jsonrpc: '2.0', id: 4, method: 'ping' }),
    });
    expect(noSession.status).toBe(400);
  });

  test('mcp-stateless: a POST without a session is answered; GET is 405', async () => {
    const { url } = ex('mcp-stateless');
    const call = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        accept: 'application/json, text/event-stream',
        'mcp-protocol-version': '2025-11-25',
      },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 1,
        method: 'tools/call',
        params: { name: 'whoami', arguments: {} },
      }),
    });
    expect(call.status).toBe(200);
    expect(call.headers.get('mcp-session-id')).toBeNull();
    expect(await call.json()).toMatchObject({
      result: { structuredContent: { pid: expect.any(Number), protocolVersion: '2025-11-25' } },
    });
    const get = await fetch(`${url}/mcp`, { headers: { accept: 'text/event-stream' } });
    expect(get.status).toBe(405);
  });

  test('mcp-modern: 2026-07-28 discover, then a tool call that asks and is retried', async () => {
    const { url } = ex('mcp-modern');
    const meta = {
      'io.modelcontextprotocol/protocolVersion': '2026-07-28',
      'io.modelcontextprotocol/clientCapabilities': { elicitation: {} },
    };
    const post = async (method: string, params: Record<string, unknown>) => {
      const res = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          accept: 'application/json, text/event-stream',
          'mcp-protocol-version': '2026-07-28',
          'mcp-method': method,
          ...(typeof params['name'] === 'string' ? { 'mcp-name': params['name'] } : {}),
        },
        body: JSON.stringify({ jsonrpc: '2.0', id: 1, method, params: { ...params, _meta: meta } }),
      });
      expect(res.headers.get('mcp-session-id')).toBeNull();
      return (await res.json()) as { result: Record<string, unknown> };
    };
    const discover = await post('server/discover', {});
    expect(discover.result).toMatchObject({ resultType: 'complete', ttlMs: 60_000 });
    expect(discover.result['supportedVersions']).toContain('2026-07-28');
    const call = { name: 'book_table', arguments: { date: '2026-12-24' } };
    const first = await post('tools/call', call);
    expect(first.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: { 'elicitation-1': { method: 'elicitation/create' } },
    });
    const done = await post('tools/call', {
      ...call,
      inputResponses: { 'elicitation-1': { action: 'accept', content: { guests: 4 } } },
      requestState: first.result['requestState'],
    });
    expect(done.result).toMatchObject({
      resultType: 'complete',
      structuredContent: { booked: '2026-12-24 for 4' },
    });
  });

  test('mcp-resumable: a GET with Last-Event-ID replays a finished stream from the store', async () => {
    const { url } = ex('mcp-resumable');
    const session = await mcpSession(url);
    const call = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: session,
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'tools/call',
        params: { name: 'slow', arguments: {}, _meta: { progressToken: 'p' } },
      }),
    });
    expect(await call.text()).toContain('"result":{"content":[{"type":"text","text":"done"}]}');
    const replay = await fetch(`${url}/mcp`, {
      headers: { ...session, accept: 'text/event-stream', 'last-event-id': '1_5' },
    });
    const text = await replay.text();
    expect(text.match(/notifications\/progress/g)).toHaveLength(5);
    expect(text).toContain('"text":"done"');
    const stats = await fetch(`${url}/stats`);
    expect(await stats.json()).toEqual({ appended: 11, replayed: 6 });
  });

  test('mcp-everything: the conformance tools are listed', async () => {
    const { url } = ex('mcp-everything');
    const list = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: await mcpSession(url),
      body: JSON.stringify({ jsonrpc: '2.0', id: 2, method: 'tools/list' }),
    });
    const body = (await list.json()) as { result: { tools: { name: string }[] } };
    expect(body.result.tools.map((t) => t.name)).toContain('test_simple_text');
  });

  test('mcp-interactive: 401 pointing at the metadata, which is served; a token gets in', async () => {
    const { url } = ex('mcp-interactive');
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const initialize = JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't' } },
    });
    const denied = await fetch(`${url}/mcp`, { method: 'POST', headers, body: initialize });
    expect(denied.status).toBe(401);
    const metadataUrl = `${url}/.well-known/oauth-protected-resource/mcp`;
    expect(denied.headers.get('www-authenticate')).toBe(
      `Bearer resource_metadata="${metadataUrl}"`,
    );
    expect(await (await fetch(metadataUrl)).json()).toMatchObject({
      resource: `${url}/mcp`,
      authorization_servers: ['https://auth.example.com'],
    });
    const authed = { ...headers, authorization: 'Bearer dev-token' };
    const init = await fetch(`${url}/mcp`, { method: 'POST', headers: authed, body: initialize });
    expect(init.status).toBe(200);
    expect(await init.json()).toMatchObject({
      result: { capabilities: { completions: {}, resources: { subscribe: true } } },
    });
    const complete = await fetch(`${url}/mcp`, {
      method: 'POST',
      headers: { ...authed, 'mcp-session-id': init.headers.get('mcp-session-id') ?? '' },
      body: JSON.stringify({
        jsonrpc: '2.0',
        id: 2,
        method: 'completion/complete',
        params: {
          ref: { type: 'ref/prompt', name: 'explain' },
          argument: { name: 'language', value: 'ja' },
        },
      }),
    });
    expect(await complete.json()).toMatchObject({
      result: { completion: { values: ['javascript'] } },
    });
  });

  test('mcp-gateway: sessions through the gateway are tagged and stay on their server', async () => {
    const { url } = ex('mcp-gateway');
    const headers = {
      'content-type': 'application/json',
      accept: 'application/json, text/event-stream',
    };
    const servers = new Set<string>();
    for (let i = 0; i < 2; i++) {
      const init = await fetch(`${url}/mcp`, {
        method: 'POST',
        headers,
        body: JSON.stringify({
          jsonrpc: '2.0',
          id: 1,
          method: 'initialize',
          params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 't' } },
        }),
      });
      const session = init.headers.get('mcp-session-id') ?? '';
      expect(session).toMatch(/^[\w-]{12}\./);
      const answers = new Set<string>();
      for (let k = 0; k < 3; k++) {
        const call = await fetch(`${url}/mcp`, {
          method: 'POST',
          headers: { ...headers, 'mcp-session-id': session },
          body: JSON.stringify({
            jsonrpc: '2.0',
            id: 2 + k,
            method: 'tools/call',
            params: { name: 'whoami', arguments: {} },
          }),
        });
        const body = (await call.json()) as { result: { content: { text: string }[] } };
        answers.add(body.result.content[0]?.text ?? '');
      }
      expect(answers.size).toBe(1);
      servers.add([...answers][0] ?? '');
    }
    // Round robin: two sessions in a row land on the two servers.
    expect([...servers].sort()).toEqual(['tools-a', 'tools-b']);
  });

  test('mailer-contact: POST /contact records a multipart message; a bad address is 400', async () => {
    const { url } = ex('mailer-contact');
    const res = await fetch(`${url}/contact`, {
      method: 'POST',
      body: JSON.stringify({ name: 'Zoë', email: 'zoe@example.com', message: 'Hello <b>team</b>' }),
    });
    expect(res.status).toBe(202);
    const { messageId } = (await res.json()) as { messageId: string };
    const outbox = (await (await fetch(`${url}/outbox`)).json()) as Array<{
      envelope: { to: string[] };
      messageId: string;
      dsn: unknown;
      raw: string;
    }>;
    expect(outbox).toHaveLength(1);
    expect(outbox[0]?.dsn).toEqual({
      ret: 'HDRS',
      notify: ['FAILURE', 'DELAY'],
      ifUnsupported: 'ignore',
    });
    expect(outbox[0]?.messageId).toBe(messageId);
    expect(outbox[0]?.envelope.to).toEqual(['team@example.com']);
    expect(outbox[0]?.raw).toContain('Reply-To: =?UTF-8?B?');
    expect(outbox[0]?.raw).toContain('multipart/alternative');
    expect(outbox[0]?.raw).toContain('&lt;b&gt;team&lt;/b&gt;');
    const bad = await fetch(`${url}/contact`, {
      method: 'POST',
      body: JSON.stringify({
        name: 'x',
        email: 'x@y.com\r\nBcc: victim@example.com',
        message: 'hi',
      }),
    });
    expect(bad.status).toBe(400);
  });

  test('orm-users-api: insert, 409 on a duplicate, keyset pages with Link, 404, bad cursor 400', async () => {
    const { url } = ex('orm-users-api');
    for (const email of ['b@example.com', 'a@example.com', 'c@example.com']) {
      const res = await fetch(`${url}/users`, { method: 'POST', body: JSON.stringify({ email }) });
      expect(res.status).toBe(201);
    }
    const dup = await fetch(`${url}/users`, {
      method: 'POST',
      body: JSON.stringify({ email: 'a@example.com' }),
    });
    expect(dup.status).toBe(409);
    expect(await dup.json()).toMatchObject({ error: { code: 'RWS_ORM_UNIQUE_VIOLATION' } });
    const first = await fetch(`${url}/users?limit=2`);
    const page1 = (await first.json()) as { items: { email: string }[]; next: string };
    expect(page1.items.map((u) => u.email)).toEqual(['a@example.com', 'b@example.com']);
    const link = first.headers.get('link') ?? '';
    expect(link).toMatch(/^<http:\/\/[^>]+after=[^>]+>; rel="next"$/);
    const next = link.slice(1, link.indexOf('>'));
    const page2 = (await (await fetch(next)).json()) as { items: { email: string }[]; next: null };
    expect(page2).toMatchObject({ items: [{ email: 'c@example.com' }], next: null });
    expect((await fetch(`${url}/users/999`)).status).toBe(404);
    expect((await fetch(`${url}/users?after=${page1.next}x`)).status).toBe(400);
  });

  test('db-migrations: rws db commands read [database] from rws.config.toml; the API uses the migrated table', async () => {
    const e = ex('db-migrations');
    const out = e.stdout();
    // The CLI's own output, in order: both pending, both applied, the last reverted and re-applied.
    expect(out).toContain(
      '$ rws db status\npending  20261129120000_create_notes\npending  20261129120100_add_notes_pinned\n',
    );
    expect(out).toContain('$ rws db rollback\nreverted 20261129120100_add_notes_pinned\n');
    expect(out).toMatch(
      /\$ rws db status\napplied {2}20261129120000_create_notes {2}\d{4}-\d\d-\d\dT[^\n]+\npending {2}20261129120100_add_notes_pinned\n\$ rws db migrate\napplied 20261129120100_add_notes_pinned\n/,
    );
    const status = await (await fetch(`${e.url}/migrations`)).json();
    expect(status).toEqual([
      { name: '20261129120000_create_notes', state: 'applied' },
      { name: '20261129120100_add_notes_pinned', state: 'applied' },
    ]);
    const made = await fetch(`${e.url}/notes`, {
      method: 'POST',
      body: JSON.stringify({ body: 'hello', pinned: true }),
    });
    expect(made.status).toBe(201);
    // `pinned` exists only because the second migration ran again after the rollback.
    expect(await made.json()).toMatchObject({ body: 'hello', pinned: true });
    expect(await (await fetch(`${e.url}/notes`)).json()).toMatchObject([
      { body: 'hello', pinned: true },
    ]);
    expect((await fetch(`${e.url}/notes`, { method: 'POST', body: '{}' })).status).toBe(400);
  });

  test('tracing-otel: a SERVER span per request, child of the caller, named after the route; handler spans are its children', async () => {
    const { url } = ex('tracing-otel');
    const trace = '4bf92f3577b34da6a3ce929d0e0e4736';
    const res = await fetch(`${url}/items/7`, {
      headers: { traceparent: `00-${trace}-00f067aa0ba902b7-01` },
    });
    const body = (await res.json()) as { id: string; trace: { spanId: string } };
    expect(body.id).toBe('7');
    expect(res.headers.get('traceresponse')).toBe(`00-${trace}-${body.trace.spanId}-01`);
    const spans = (await (await fetch(`${url}/debug/spans`)).json()) as {
      name: string;
      traceId: string;
      spanId: string;
      parentSpanId: string | null;
      attributes: Record<string, unknown>;
    }[];
    const server = spans.find((s) => s.spanId === body.trace.spanId)!;
    expect(server).toMatchObject({ name: 'GET /items/:id', traceId: trace });
    expect(server.parentSpanId).toBe('00f067aa0ba902b7');
    expect(server.attributes).toMatchObject({
      'http.route': '/items/:id',
      'url.path': '/items/7',
      'http.response.status_code': 200,
    });
    const child = spans.find((s) => s.name === 'load item' && s.traceId === trace)!;
    expect(child.parentSpanId).toBe(server.spanId);
  });

  test('sessions-login: a session in SQL counts visits; /admin takes a bcrypt htpasswd user', async () => {
    const { url } = ex('sessions-login');
    const first = await fetch(`${url}/visits`);
    expect(await first.json()).toEqual({ visits: 1 });
    const cookie = (first.headers.get('set-cookie') ?? '').split(';')[0]!;
    expect(cookie).toMatch(/=/);
    const second = await fetch(`${url}/visits`, { headers: { cookie } });
    expect(await second.json()).toEqual({ visits: 2 });
    expect(await (await fetch(`${url}/visits`)).json()).toEqual({ visits: 1 });
    const anonymous = await fetch(`${url}/admin`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBe('Basic realm="admin", charset="UTF-8"');
    const basic = (p: string) => ({
      authorization: `Basic ${Buffer.from(`admin:${p}`).toString('base64')}`,
    });
    expect((await fetch(`${url}/admin`, { headers: basic('wrong horse') })).status).toBe(401);
    const ok = await fetch(`${url}/admin`, { headers: basic('correct horse') });
    expect([ok.status, await ok.text()]).toEqual([200, 'Welcome, admin.\n']);
  });

  test('oidc-login: pages need a login; /auth/login sends the browser to the provider with PKCE', async () => {
    const { url } = ex('oidc-login');
    expect((await fetch(`${url}/me`, { headers: { accept: 'application/json' } })).status).toBe(
      401,
    );
    const page = await fetch(`${url}/me`, { headers: { accept: 'text/html' }, redirect: 'manual' });
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fme');
    const start = await fetch(`${url}/auth/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const to = new URL(start.headers.get('location')!);
    expect(to.searchParams.get('client_id')).toBe('demo');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${url}/auth/callback`);
    // The demo provider answers the authorization request with its login interaction.
    expect((await fetch(to, { redirect: 'manual' })).status).toBe(303);
    // Without a login the backend gets no user, and a header forged by the client is removed.
    const api = await fetch(`${url}/api/hello`, { headers: { 'x-rws-user': 'forged' } });
    expect(await api.text()).toBe('hello, nobody\n');
  });

  test('saml-login: metadata, then a login with the demo IdP (Redirect + POST) and a single logout', async () => {
    const { url } = ex('saml-login');
    const metadata = await (await fetch(`${url}/saml/metadata`)).text();
    expect(metadata).toContain(`entityID="${url}/saml/metadata"`);
    expect(metadata).toContain(`Location="${url}/saml/acs"`);
    expect((await fetch(`${url}/me`, { headers: { accept: 'application/json' } })).status).toBe(
      401,
    );
    const jar = new Map<string, string>();
    const keep = (res: Response) => {
      for (const line of res.headers.getSetCookie()) {
        const [pair = ''] = line.split(';');
        const eq = pair.indexOf('=');
        jar.set(pair.slice(0, eq), pair.slice(eq + 1));
      }
      return res;
    };
    const cookie = () => [...jar].map(([k, v]) => `${k}=${v}`).join('; ');
    const field = (page: string, name: string) =>
      new RegExp(`name="${name}" value="([^"]*)"`).exec(page)?.[1] ?? '';
    const start = keep(await fetch(`${url}/saml/login?returnTo=/me`, { redirect: 'manual' }));
    const sso = new URL(start.headers.get('location') ?? '');
    expect(sso.searchParams.has('SAMLRequest')).toBe(true);
    const loginPage = await (await fetch(sso)).text();
    const signed = await fetch(new URL('/sso', sso), {
      method: 'POST',
      body: new URLSearchParams({ SAMLRequest: field(loginPage, 'SAMLRequest'), name: 'grace' }),
    });
    const post = await signed.text();
    const acs = keep(
      await fetch(`${url}/saml/acs`, {
        method: 'POST',
        headers: { cookie: cookie() },
        body: new URLSearchParams({ SAMLResponse: field(post, 'SAMLResponse') }),
        redirect: 'manual',
      }),
    );
    expect(acs.status).toBe(302);
    expect(acs.headers.get('location')).toBe('/me');
    const me = await fetch(`${url}/me`, {
      headers: { cookie: cookie(), accept: 'application/json' },
    });
    expect(await me.json()).toMatchObject({
      nameId: 'grace@example.com',
      attributes: { email: 'grace@example.com', groups: ['staff', 'demo'] },
    });
    const out = keep(
      await fetch(`${url}/saml/logout`, {
        method: 'POST',
        headers: { cookie: cookie() },
        redirect: 'manual',
      }),
    );
    const back = keep(await fetch(out.headers.get('location') ?? '', { redirect: 'manual' }));
    const done = await fetch(back.headers.get('location') ?? '', {
      headers: { cookie: cookie() },
      redirect: 'manual',
    });
    expect(done.status).toBe(302);
    expect(done.headers.get('location')).toBe('/');
    const after = await fetch(`${url}/me`, {
      headers: { cookie: cookie(), accept: 'application/json' },
    });
    expect(after.status).toBe(401);
  });

  test('gateway-oidc: a TOML gateway sends pages to log in, API calls get 401, forged users are dropped', async () => {
    const { url } = ex('gateway-oidc');
    const api = await fetch(`${url}/app/`, { headers: { accept: 'application/json' } });
    expect(api.status).toBe(401);
    const page = await fetch(`${url}/app/x`, {
      headers: { accept: 'text/html' },
      redirect: 'manual',
    });
    expect(page.headers.get('location')).toBe('/auth/login?returnTo=%2Fapp%2Fx');
    const start = await fetch(`${url}/auth/login`, { redirect: 'manual' });
    expect(start.status).toBe(302);
    const to = new URL(start.headers.get('location')!);
    expect(to.searchParams.get('client_id')).toBe('gateway');
    expect(to.searchParams.get('code_challenge_method')).toBe('S256');
    expect(to.searchParams.get('redirect_uri')).toBe(`${url}/auth/callback`);
    expect(start.headers.get('set-cookie')).toMatch(/^sid=.*HttpOnly/i);
    // The demo provider answers the authorization request with its login interaction.
    expect((await fetch(to, { redirect: 'manual' })).status).toBe(303);
    const pub = await fetch(`${url}/public/`, { headers: { 'x-rws-user': 'forged' } });
    expect(await pub.text()).toBe('hello, nobody\n');
  });

  test('web-runtimes: the fetch-style app served on Node', async () => {
    const { url } = ex('web-runtimes');
    const res = await fetch(`${url}/hello/ada`);
    expect(await res.json()).toEqual({ message: 'hello ada', runtime: navigator.userAgent });
    expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  });

  test('oauth2-server: client credentials token, then the API accepts it', async () => {
    const { url } = ex('oauth2-server');
    const meta = (await (await fetch(`${url}/.well-known/oauth-authorization-server`)).json()) as {
      token_endpoint: string;
    };
    expect(meta.token_endpoint).toBe(`${url}/token`);
    const res = await fetch(meta.token_endpoint, {
      method: 'POST',
      headers: {
        authorization: `Basic ${btoa('billing:billing-secret-change-me')}`,
        'content-type': 'application/x-www-form-urlencoded',
      },
      body: 'grant_type=client_credentials&scope=invoices:read',
    });
    const { access_token: token } = (await res.json()) as { access_token: string };
    expect((await fetch(`${url}/api/invoices`)).status).toBe(401);
    const api = await fetch(`${url}/api/invoices`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(await api.json()).toEqual({ client: 'billing', user: 'billing', invoices: [] });
  });

  test('oauth2-server: a user logs in, the public client gets a code with PKCE', async () => {
    const { url } = ex('oauth2-server');
    const verifier = 'v'.repeat(43);
    const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
    const challenge = Buffer.from(digest).toString('base64url');
    const authorize = `/authorize?client_id=cli&response_type=code&code_challenge=${challenge}&code_challenge_method=S256&state=xyz`;
    const toLogin = await fetch(`${url}${authorize}`, { redirect: 'manual' });
    expect(toLogin.headers.get('location')).toBe(
      `/login?returnTo=${encodeURIComponent(authorize)}`,
    );
    const login = await fetch(`${url}/login`, {
      method: 'POST',
      redirect: 'manual',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ user: 'ada', returnTo: authorize }).toString(),
    });
    const cookie = (login.headers.get('set-cookie') ?? '').split(';')[0] ?? '';
    const back = await fetch(`${url}${authorize}`, { redirect: 'manual', headers: { cookie } });
    const callback = new URL(back.headers.get('location') ?? '');
    expect(callback.searchParams.get('state')).toBe('xyz');
    const res = await fetch(`${url}/token`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({
        grant_type: 'authorization_code',
        client_id: 'cli',
        code: callback.searchParams.get('code') ?? '',
        code_verifier: verifier,
      }).toString(),
    });
    const tokens = (await res.json()) as { access_token: string; refresh_token: string };
    expect(typeof tokens.refresh_token).toBe('string');
    const api = await fetch(`${url}/api/invoices`, {
      headers: { authorization: `Bearer ${tokens.access_token}` },
    });
    expect(await api.json()).toEqual({ client: 'cli', user: 'ada', invoices: [] });
  });

  test('jobs-queue: enqueue, idempotency key, result by id, a failing job ends failed', async () => {
    const { url } = ex('jobs-queue');
    const post = (to: string, key?: string) =>
      fetch(`${url}/emails`, {
        method: 'POST',
        body: JSON.stringify({ to }),
        headers: key === undefined ? {} : { 'idempotency-key': key },
      });
    const first = await post('ada@example.com', 'order-42');
    expect(first.status).toBe(202);
    expect(await first.json()).toMatchObject({ id: 'order-42', isNew: true });
    const again = await post('ada@example.com', 'order-42');
    expect(again.status).toBe(200);
    expect(await again.json()).toMatchObject({ id: 'order-42', isNew: false });
    const bad = (await (await post('fail@example.com')).json()) as { id: string };
    const settled = async (id: string, state: string) => {
      for (let i = 0; i < 200; i++) {
        const body = (await (await fetch(`${url}/jobs/${id}`)).json()) as { state: string };
        if (body.state === state) return body;
        await new Promise((r) => setTimeout(r, 25));
      }
      throw new Error(`job ${id} never reached ${state}`);
    };
    expect(await settled('order-42', 'completed')).toMatchObject({
      attempts: 1,
      result: { deliveredTo: 'ada@example.com', attempt: 1 },
      progress: { sent: 1 },
    });
    expect(await settled(bad.id, 'failed')).toMatchObject({
      attempts: 3,
      error: 'Error: mailbox fail@example.com refused (attempt 3)',
    });
    expect(await (await fetch(`${url}/counts`)).json()).toMatchObject({ completed: 1, failed: 1 });
    expect((await fetch(`${url}/jobs/nope`)).status).toBe(404);
    expect((await post(42 as unknown as string)).status).toBe(400);
  });

  test('jobs-groups: one delivery per tenant at a time; a burst of edits saves once', async () => {
    const { url } = ex('jobs-groups');
    const send = (path: string, method: string, body: unknown) =>
      fetch(`${url}${path}`, { method, body: JSON.stringify(body) });
    for (const tenant of ['acme', 'globex'])
      expect(
        (await send(`/tenants/${tenant}/webhooks`, 'POST', { events: ['a', 'b', 'c'] })).status,
      ).toBe(202);
    for (const text of ['one', 'two', 'three'])
      expect((await send('/documents/7', 'PUT', { text })).status).toBe(202);
    let stats: { delivered: string[]; mostDeliveriesAtOnceForOneTenant: number; saved: object } = {
      delivered: [],
      mostDeliveriesAtOnceForOneTenant: 0,
      saved: {},
    };
    for (
      let i = 0;
      i < 200 && (stats.delivered.length < 6 || Object.keys(stats.saved).length === 0);
      i++
    ) {
      await new Promise((r) => setTimeout(r, 50));
      stats = (await (await fetch(`${url}/stats`)).json()) as typeof stats;
    }
    expect(stats.delivered.sort()).toEqual([
      'acme:a',
      'acme:b',
      'acme:c',
      'globex:a',
      'globex:b',
      'globex:c',
    ]);
    expect(stats.mostDeliveriesAtOnceForOneTenant).toBe(1);
    expect(stats.saved).toEqual({ '7': { text: 'three', saves: 1 } });
    expect((await send('/tenants/acme/webhooks', 'POST', { events: [1] })).status).toBe(400);
  });

  test('graceful-shutdown finishes an in-flight request after SIGTERM and exits 0', async () => {
    const example = ex('graceful-shutdown');
    const slow = fetch(`${example.url}/slow?ms=400`);
    await new Promise((r) => setTimeout(r, 150));
    example.child.kill('SIGTERM');
    const res = await slow;
    expect(res.status).toBe(200);
    expect(await res.text()).toBe('done after 400 ms\n');
    expect(await example.exited).toBe(0);
    expect(example.stdout()).toContain('drained, bye');
  });

  test('service-discovery follows the watched backend list without a restart', async () => {
    const { url } = ex('service-discovery');
    const backendOf = async (): Promise<string> =>
      ((await (await fetch(`${url}/hello`)).json()) as { backend: string }).backend;
    expect(await backendOf()).toBe('blue');
    expect((await fetch(`${url}/demo/scale`, { method: 'POST' })).status).toBe(200);
    const seen = new Set<string>();
    const end = Date.now() + 20_000;
    while (seen.size < 2 && Date.now() < end) {
      seen.add(await backendOf());
      await new Promise((r) => setTimeout(r, 50));
    }
    expect([...seen].sort()).toEqual(['blue', 'green']);
  });

  test('reverse-proxy balances 2:1 over two backends and counts them on /metrics', async () => {
    const { url } = ex('reverse-proxy');
    const seen: string[] = [];
    for (let i = 0; i < 6; i++) {
      const body = (await (await fetch(`${url}/api/hello?i=${i}`)).json()) as {
        backend: string;
        path: string;
        forwardedFor: string;
        via: string;
      };
      expect(body).toMatchObject({
        path: `/hello?i=${i}`,
        forwardedFor: '127.0.0.1',
        via: '1.1 rws',
      });
      seen.push(body.backend);
    }
    expect(seen.filter((b) => b === 'blue').length).toBe(4);
    expect(seen.filter((b) => b === 'green').length).toBe(2);
    const metrics = await (await fetch(`${url}/metrics`)).text();
    expect(metrics).toMatch(
      /rws_upstream_backend_requests_total\{upstream="api",backend="[^"]+"\} 4/,
    );
  });

  test("reverse-proxy cancels the backend request of a client that half-closes ('abort')", async () => {
    const { url } = ex('reverse-proxy');
    const { hostname, port } = new URL(url);
    const socket = createConnection(Number(port), hostname);
    socket.on('error', () => {});
    try {
      await once(socket, 'connect');
      const counts = async (until: string): Promise<string> => {
        let got = '';
        for (let i = 0; i < 100 && got !== until; i++) {
          await new Promise((r) => setTimeout(r, 100));
          got = await (await fetch(`${url}/api/cancelled`)).text();
        }
        return got;
      };
      // The backend's /slow answers after 10 s; once it has the request, the client sends FIN.
      socket.write('GET /api/slow HTTP/1.1\r\nHost: example\r\n\r\n');
      expect(await counts('0 of 1')).toBe('0 of 1');
      socket.end();
      expect(await counts('1 of 1')).toBe('1 of 1');
    } finally {
      socket.destroy();
    }
  });
});

// The docs point at these examples and at each other; keep both honest without a build step.
const MCP_HEADERS = {
  'content-type': 'application/json',
  accept: 'application/json, text/event-stream',
};

function mcpInitialize(url: string, protocolVersion: string): Promise<Response> {
  return fetch(`${url}/mcp`, {
    method: 'POST',
    headers: MCP_HEADERS,
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: 1,
      method: 'initialize',
      params: {
        protocolVersion,
        capabilities: {},
        clientInfo: { name: 'examples-test', version: '1' },
      },
    }),
  });
}

/** Initializes an MCP session (2025-11-25) on `${url}/mcp`; the headers of later POSTs. */
async function mcpSession(url: string): Promise<Record<string, string>> {
  const init = await mcpInitialize(url, '2025-11-25');
  expect(init.status).toBe(200);
  return {
    ...MCP_HEADERS,
    'mcp-session-id': init.headers.get('mcp-session-id') ?? '',
    'mcp-protocol-version': '2025-11-25',
  };
}

describe('docs', () => {
  const docs = readdirSync(`${ROOT}docs`)
    .filter((f) => f.endsWith('.md'))
    .map((f) => `${ROOT}docs/${f}`);

  test('every relative link in docs/ and the READMEs points at an existing file', () => {
    const broken: string[] = [];
    for (const file of [...docs, `${ROOT}README.md`, `${ROOT}examples/README.md`]) {
      const text = readFileSync(file, 'utf8');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (!target || /^[a-z]+:/.test(target) || target.startsWith('#')) continue;
        const path = resolve(dirname(file), target.split('#')[0]!);
        if (!existsSync(path)) broken.push(`${file.slice(ROOT.length)} -> ${target}`);
      }
    }
    expect(broken).toEqual([]);
  });

  test('docs/configuration.md lists every flag, env var and TOML key of the CLI', () => {
    const text = readFileSync(`${ROOT}docs/configuration.md`, 'utf8');
    for (const k of CONFIG_KEYS) {
      if (k.flag !== null) expect(text, k.flag).toContain(`\`--${k.flag}\``);
      if (k.env !== null) expect(text, k.env).toContain(`\`${k.env}\``);
      if (k.toml !== null) expect(text, k.toml).toContain(`\`${k.toml}\``);
    }
  });

  test('docs/README.md lists every example', () => {
    const index = readFileSync(`${ROOT}docs/README.md`, 'utf8');
    for (const name of NAMES) expect(index).toContain(`(../examples/${name}.ts)`);
  });
});

/**
 * Opens a WebSocket as an HTTP/2 extended CONNECT stream (RFC 8441) to `path` on `origin`
 * (h2c, or TLS without verification: the examples make self-signed certificates), sends the
 * text "hi" and resolves the first frame that comes back.
 */
async function h2WebSocketHi(origin: string, path: string): Promise<Buffer> {
  const session = connectH2(origin, { rejectUnauthorized: false });
  session.on('error', () => {});
  try {
    await once(session, 'remoteSettings');
    expect(session.remoteSettings.enableConnectProtocol).toBe(true);
    const stream = session.request(
      {
        ':method': 'CONNECT',
        ':protocol': 'websocket',
        ':scheme': origin.startsWith('https:') ? 'https' : 'http',
        ':path': path,
        'sec-websocket-version': '13',
      },
      { endStream: false },
    );
    const [headers] = (await once(stream, 'response')) as [IncomingHttpHeaders];
    expect(headers[':status']).toBe(200);
    // A masked text frame "hi" (FIN, opcode 1, mask bit, length 2) with an all-zero key,
    // which leaves the payload as it is; the echo comes back unmasked.
    stream.write(Buffer.from([0x81, 0x82, 0, 0, 0, 0, 0x68, 0x69]));
    let echoed = Buffer.alloc(0);
    for await (const chunk of stream as AsyncIterable<Buffer>) {
      echoed = Buffer.concat([echoed, chunk]);
      // A short unmasked frame: two header bytes and the payload length in the second.
      if (echoed.length >= 2 && echoed.length >= 2 + (echoed[1] ?? 0)) break;
    }
    return echoed.subarray(0, 2 + (echoed[1] ?? 0));
  } finally {
    session.destroy();
  }
}
