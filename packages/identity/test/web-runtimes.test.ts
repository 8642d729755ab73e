/**
 * The App on Web-standard runtimes: one bundle of test/fixtures/web-app.ts (router, middleware
 * that needs no sockets, the OIDC login redirect) is served unchanged through `app.fetch()` by
 * Bun (`Bun.serve`), Deno (`Deno.serve`) and workerd (Cloudflare's runtime, `nodejs_compat`),
 * and the same suite of real HTTP requests runs against each. The runtimes come from the npm
 * registry as dev dependencies (bun, deno, workerd), whose binaries live in per-platform npm
 * packages; a runtime whose package has no binary for this platform is skipped with the reason.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { reservePort } from '@rws/test-helpers';
import { build } from 'esbuild';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';

const require = createRequire(import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'rws-web-runtimes-'));
const children: ChildProcess[] = [];

/** The platform binary of a runtime's npm package, or the reason there is none. */
function binaryOf(
  pkg: string,
  packageJson: () => string,
  platformPackages: Record<string, string>,
): string | { skip: string } {
  const key = `${process.platform}-${process.arch}`;
  const sub = platformPackages[key];
  if (sub === undefined) return { skip: `${pkg} has no npm binary package for ${key}` };
  try {
    return createRequire(packageJson()).resolve(sub);
  } catch (err) {
    return { skip: `${pkg}: ${sub} is not installed (${(err as Error).message.split('\n')[0]})` };
  }
}

/** Spawns a runtime and resolves once `url` answers (any status). */
async function startRuntime(cmd: string, args: string[], url: string): Promise<void> {
  const child = spawn(cmd, args, {
    cwd: dir,
    env: {
      ...process.env,
      NO_COLOR: '1',
      DENO_DIR: join(dir, 'deno-cache'),
      DENO_NO_UPDATE_CHECK: '1',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let output = '';
  child.stdout?.on('data', (c: Buffer) => (output += c.toString()));
  child.stderr?.on('data', (c: Buffer) => (output += c.toString()));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${cmd} exited ${child.exitCode}: ${output}`);
    try {
      await fetch(url);
      return;
    } catch {
      await new Promise((r) => setTimeout(r, 100));
    }
  }
  throw new Error(`${cmd} did not answer at ${url} within 30 s: ${output}`);
}

interface Runtime {
  readonly name: string;
  readonly binary: string | { skip: string };
  /** Starts the runtime serving app.mjs; resolves with its base URL. */
  start(binary: string): Promise<string>;
}

const RUNTIMES: Runtime[] = [
  {
    name: 'bun',
    binary: binaryOf('bun', () => require.resolve('bun/package.json'), {
      'linux-x64': '@oven/bun-linux-x64/bin/bun',
      'linux-arm64': '@oven/bun-linux-aarch64/bin/bun',
      'darwin-arm64': '@oven/bun-darwin-aarch64/bin/bun',
      'darwin-x64': '@oven/bun-darwin-x64/bin/bun',
    }),
    async start(binary) {
      const port = await reservePort();
      writeFileSync(
        join(dir, 'bun-server.mjs'),
        `import app from './app.mjs';\nBun.serve({ hostname: '127.0.0.1', port: ${port}, fetch: (r) => app.fetch(r) });\n`,
      );
      const url = `http://127.0.0.1:${port}`;
      await startRuntime(binary, ['bun-server.mjs'], url);
      return url;
    },
  },
  {
    name: 'deno',
    binary: binaryOf('deno', () => require.resolve('deno/package.json'), {
      'linux-x64': '@deno/linux-x64-glibc/deno',
      'linux-arm64': '@deno/linux-arm64-glibc/deno',
      'darwin-arm64': '@deno/darwin-arm64/deno',
      'darwin-x64': '@deno/darwin-x64/deno',
    }),
    async start(binary) {
      const port = await reservePort();
      writeFileSync(
        join(dir, 'deno-server.mjs'),
        `import app from './app.mjs';\nDeno.serve({ hostname: '127.0.0.1', port: ${port}, onListen() {} }, (r) => app.fetch(r));\n`,
      );
      const url = `http://127.0.0.1:${port}`;
      await startRuntime(
        binary,
        ['run', '--no-config', '--allow-net=127.0.0.1', 'deno-server.mjs'],
        url,
      );
      return url;
    },
  },
  {
    name: 'workerd',
    binary: binaryOf('workerd', () => require.resolve('workerd/package.json'), {
      'linux-x64': '@cloudflare/workerd-linux-64/bin/workerd',
      'linux-arm64': '@cloudflare/workerd-linux-arm64/bin/workerd',
      'darwin-arm64': '@cloudflare/workerd-darwin-arm64/bin/workerd',
      'darwin-x64': '@cloudflare/workerd-darwin-64/bin/workerd',
    }),
    async start(binary) {
      const port = await reservePort();
      writeFileSync(
        join(dir, 'workerd.capnp'),
        `using Workerd = import "/workerd/workerd.capnp";
const config :Workerd.Config = (
  services = [(name = "main", worker = .app)],
  sockets = [(name = "http", address = "127.0.0.1:${port}", http = (), service = "main")],
);
const app :Workerd.Worker = (
  modules = [(name = "app.mjs", esModule = embed "app.mjs")],
  compatibilityDate = "2025-09-01",
  compatibilityFlags = ["nodejs_compat"],
);
`,
      );
      const url = `http://127.0.0.1:${port}`;
      await startRuntime(binary, ['serve', 'workerd.capnp'], url);
      return url;
    },
  },
];

beforeAll(async () => {
  await build({
    entryPoints: [fileURLToPath(new URL('./fixtures/web-app.ts', import.meta.url))],
    outfile: join(dir, 'app.mjs'),
    bundle: true,
    format: 'esm',
    platform: 'neutral',
    target: 'es2022',
    conditions: ['@rws/source'],
    mainFields: ['module', 'main'],
    external: ['node:*'],
    logLevel: 'silent',
  });
}, 60_000);

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(dir, { recursive: true, force: true });
});

for (const runtime of RUNTIMES) {
  const skip = typeof runtime.binary === 'string' ? false : runtime.binary.skip;
  describe.skipIf(skip !== false)(
    `app.fetch() on ${runtime.name}${skip === false ? '' : ` (skipped: ${skip})`}`,
    () => {
      let url = '';
      beforeAll(async () => {
        url = await runtime.start(runtime.binary as string);
      }, 60_000);

      test('routes with params; the handler ran on this runtime', async () => {
        const res = await fetch(`${url}/hello/ada`);
        expect(res.status).toBe(200);
        const body = (await res.json()) as { message: string; runtime: string };
        expect(body.message).toBe('hello ada');
        const expected = { bun: /^Bun\//, deno: /^Deno\//, workerd: /^Cloudflare-Workers$/ }[
          runtime.name
        ];
        expect(body.runtime).toMatch(expected!);
      });

      test('JSON request bodies, streamed responses, 404 and 405', async () => {
        const echo = await fetch(`${url}/echo`, {
          method: 'POST',
          body: JSON.stringify({ a: [1, 2] }),
          headers: { 'content-type': 'application/json' },
        });
        expect(await echo.json()).toEqual({ got: { a: [1, 2] } });
        expect(await (await fetch(`${url}/stream`)).text()).toBe('one two three');
        expect((await fetch(`${url}/nope`)).status).toBe(404);
        const wrongMethod = await fetch(`${url}/echo`);
        expect(wrongMethod.status).toBe(405);
        expect(wrongMethod.headers.get('allow')).toContain('POST');
      });

      test('request id, security headers and CORS', async () => {
        const res = await fetch(`${url}/hello/x`, { headers: { 'x-request-id': 'abc-123' } });
        expect(res.headers.get('x-request-id')).toBe('abc-123');
        expect(res.headers.get('x-content-type-options')).toBe('nosniff');
        const preflight = await fetch(`${url}/echo`, {
          method: 'OPTIONS',
          headers: { origin: 'https://allowed.example', 'access-control-request-method': 'POST' },
        });
        expect(preflight.status).toBe(204);
        expect(preflight.headers.get('access-control-allow-origin')).toBe(
          'https://allowed.example',
        );
        const denied = await fetch(`${url}/hello/x`, {
          headers: { origin: 'https://evil.example' },
        });
        expect(denied.headers.get('access-control-allow-origin')).toBeNull();
      });

      test('a signed-cookie session counts visits', async () => {
        const first = await fetch(`${url}/visits`);
        expect(await first.text()).toBe('1');
        const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
        const second = await fetch(`${url}/visits`, { headers: { cookie } });
        expect(await second.text()).toBe('2');
        const forged = await fetch(`${url}/visits`, {
          headers: { cookie: `${cookie.slice(0, -2)}xx` },
        });
        expect(await forged.text()).toBe('1');
      });

      test('the OIDC login starts with PKCE S256, state and nonce', async () => {
        const res = await fetch(`${url}/auth/login?returnTo=/hello/x`, { redirect: 'manual' });
        expect(res.status).toBe(302);
        const to = new URL(res.headers.get('location')!);
        expect(to.origin + to.pathname).toBe('https://idp.example/authorize');
        expect(to.searchParams.get('code_challenge_method')).toBe('S256');
        expect(to.searchParams.get('code_challenge')).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(to.searchParams.get('state')).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(to.searchParams.get('nonce')).toMatch(/^[A-Za-z0-9_-]{43}$/);
        expect(to.searchParams.get('redirect_uri')).toBe('https://app.example/auth/callback');
        expect(res.headers.get('set-cookie')).toMatch(/^sid=/);
      });
    },
  );
}
