/**
 * Target factories. A suite lists targets built from these: a Node server script (rws or a
 * Node peer) or nginx. Each start() picks a free port, starts the server pinned to
 * SERVER_CPU and polls the port until it accepts connections.
 */
import { chmod, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, SERVER_CPU, spawnPinned, waitForPort } from './process.js';
import { toolVersion } from './tools.js';
import type { RunningTarget, Target, TargetContext } from './types.js';

/** The repository root (servers run from it so workspace packages resolve). */
export const REPO_ROOT: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute URL of a server script in tooling/bench/src/servers. */
export function serverScript(file: string): URL {
  return new URL(`./servers/${file}`, import.meta.url);
}

// tsx's loader, resolved from this package, so server scripts may be TypeScript importing
// workspace sources (`.js` specifiers that point at `.ts` files).
const TSX_LOADER = import.meta.resolve('tsx');

/** How `startPinned` runs a server; every field has the measured-server default. */
export interface StartOptions {
  readonly env?: Readonly<Record<string, string>>;
  /** CPU to pin to; null runs unpinned. Default SERVER_CPU. */
  readonly cpu?: number | null | undefined;
  /** Working directory. Default the repository root. */
  readonly cwd?: string;
  /** Scheme of the returned URL. Default `http`. */
  readonly scheme?: 'http' | 'https';
}

/** Starts `command args` (PORT in its environment) and resolves once `port` accepts. */
export async function startPinned(
  name: string,
  port: number,
  command: string,
  args: readonly string[],
  options: StartOptions = {},
): Promise<RunningTarget> {
  const proc = spawnPinned(options.cpu === undefined ? SERVER_CPU : options.cpu, command, args, {
    env: { ...process.env, NODE_ENV: 'production', ...options.env, PORT: String(port) },
    cwd: options.cwd ?? REPO_ROOT,
  });
  try {
    await waitForPort(port, proc.child);
  } catch (err) {
    await proc.stop();
    throw new Error(`${name}: ${(err as Error).message}\n${proc.output()}`, { cause: err });
  }
  return { url: `${options.scheme ?? 'http'}://127.0.0.1:${port}`, stop: () => proc.stop() };
}

export interface NodeServerOptions {
  /** Extra environment for the server process (PORT is always set). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. `--max-semi-space-size=64`. */
  readonly nodeArgs?: readonly string[];
}

/** The environment a case's context gives a server script: UPSTREAM_URL, TLS_CERT/KEY_FILE. */
function contextEnv(context: TargetContext = {}): Record<string, string> {
  const env: Record<string, string> = {};
  if (context.upstream !== undefined) env['UPSTREAM_URL'] = context.upstream;
  if (context.tls !== undefined) {
    env['TLS_CERT_FILE'] = context.tls.certFile;
    env['TLS_KEY_FILE'] = context.tls.keyFile;
  }
  return env;
}

/**
 * Where the measured rws code comes from. `dist` (the default): the packages' built output,
 * what users install and what `bin/rws.js` runs; tsx then only compiles the bench's own
 * TypeScript server scripts (a plain `.js` file, dist included, is loaded as it is). `source`
 * (`BENCH_FROM=source`): the TypeScript sources through tsx, which compiles with esbuild's
 * `keepNames` (a `__name()` call at every function and class definition, per-request closures
 * included), so it measures slower than what users run; for profiling an unbuilt change.
 */
const BENCH_FROM: 'dist' | 'source' = process.env['BENCH_FROM'] === 'source' ? 'source' : 'dist';

/** The `rws` CLI's entry: the built dist/cli.js that `bin/rws.js` imports, or its source. */
export const RWS_CLI: string = fileURLToPath(
  new URL(
    BENCH_FROM === 'source'
      ? '../../../apps/rws-cli/src/cli.ts'
      : '../../../apps/rws-cli/dist/cli.js',
    import.meta.url,
  ),
);

/** The `node` arguments that run a script (TypeScript through tsx) against BENCH_FROM's code. */
export function nodeScriptArgs(script: string, nodeArgs: readonly string[] = []): string[] {
  const conditions = BENCH_FROM === 'source' ? ['--conditions=@rws/source'] : [];
  return [...conditions, '--import', TSX_LOADER, ...nodeArgs, script];
}

/**
 * A server script run by the same Node as the harness (the workspace's Node 24), with the
 * `@rws/source` condition and tsx's loader. The script listens on 127.0.0.1:$PORT; the case's
 * context arrives as UPSTREAM_URL (a proxy's backend) and TLS_CERT_FILE/TLS_KEY_FILE (then the
 * script must serve TLS).
 */
export function nodeServer(name: string, script: URL, options: NodeServerOptions = {}): Target {
  return {
    name,
    start: async (context) =>
      startPinned(
        name,
        await freePort(),
        process.execPath,
        nodeScriptArgs(fileURLToPath(script), options.nodeArgs),
        {
          env: { ...options.env, ...contextEnv(context) },
          scheme: context?.tls === undefined ? 'http' : 'https',
        },
      ),
  };
}

export interface NginxOptions {
  /** Directives added to the `http {}` block (e.g. an `upstream {}` pool). */
  readonly http?: string | ((context: TargetContext) => string);
  /** Serve HTTP/2: h2 by ALPN on a TLS case, h2c with prior knowledge otherwise. */
  readonly http2?: boolean;
  /** CPU to pin to; null runs unpinned. Default SERVER_CPU. */
  readonly cpu?: number | null | undefined;
}

/** nginx ≥ 1.25.1 turns HTTP/2 on with `http2 on;`; older ones with `listen … http2`. */
function nginxHasHttp2Directive(): boolean {
  const m = /nginx\/(\d+)\.(\d+)\.(\d+)/.exec(toolVersion('nginx', ['-v']) ?? '');
  if (m === null) return false;
  const [major, minor, patch] = [Number(m[1]), Number(m[2]), Number(m[3])];
  return major > 1 || minor > 25 || (minor === 25 && patch >= 1);
}

/**
 * nginx (Debian package) with a generated config in a temp dir: one worker, no daemon,
 * access log off, keep-alive unlimited so it is not penalised against Node peers that never
 * close a keep-alive connection. `locations` is the body of the `server {}` block (a function
 * of the case's context when it needs the upstream URL). On a TLS case it listens with `ssl`
 * and the case's certificate.
 */
export function nginxServer(
  name: string,
  locations: string | ((context: TargetContext) => string),
  options: NginxOptions = {},
): Target {
  return {
    name,
    async start(context = {}) {
      const dir = await mkdtemp(join(tmpdir(), 'rws-bench-nginx-'));
      const conf = join(dir, 'nginx.conf');
      try {
        // mkdtemp makes the dir 0700; started as root, nginx's worker runs as `nobody` and
        // must reach the temp paths inside it (a proxied body larger than the buffers spills
        // to proxy_temp_path; without access the response stalls).
        await chmod(dir, 0o755);
        const port = await freePort();
        const tls = context.tls;
        const h2 = options.http2 === true;
        const modern = h2 && nginxHasHttp2Directive();
        const listen = [
          `127.0.0.1:${port}`,
          ...(tls === undefined ? [] : ['ssl']),
          ...(h2 && !modern ? ['http2'] : []),
        ].join(' ');
        const server = [
          ...(modern ? ['    http2 on;'] : []),
          ...(tls === undefined
            ? []
            : [`    ssl_certificate ${tls.certFile};`, `    ssl_certificate_key ${tls.keyFile};`]),
          typeof locations === 'function' ? locations(context) : locations,
        ].join('\n');
        const http = typeof options.http === 'function' ? options.http(context) : options.http;
        await writeFile(conf, nginxConfig(dir, listen, server, http ?? ''));
        const running = await startPinned(
          name,
          port,
          'nginx',
          ['-p', dir, '-c', conf, '-e', join(dir, 'error.log')],
          { cpu: options.cpu, scheme: tls === undefined ? 'http' : 'https' },
        );
        return {
          url: running.url,
          async stop() {
            await running.stop();
            await rm(dir, { recursive: true, force: true });
          },
        };
      } catch (err) {
        await rm(dir, { recursive: true, force: true });
        throw err;
      }
    },
  };
}

/**
 * The nginx.conf for `nginxServer`: everything (pid, logs, temp paths) stays inside `dir`.
 * `masterProcess: false` serves from the process started (bench:profile runs it under
 * valgrind, which must see the process doing the work).
 */
export function nginxConfig(
  dir: string,
  listen: string,
  server: string,
  http: string,
  masterProcess = true,
): string {
  return `worker_processes 1;
daemon off;
master_process ${masterProcess ? 'on' : 'off'};
pid ${dir}/nginx.pid;
error_log ${dir}/error.log warn;
events {
  worker_connections 4096;
}
http {
  access_log off;
  server_tokens off;
  default_type text/plain;
  keepalive_requests 10000000;
  keepalive_timeout 75s;
  client_body_temp_path ${dir}/client_body;
  proxy_temp_path ${dir}/proxy;
  fastcgi_temp_path ${dir}/fastcgi;
  uwsgi_temp_path ${dir}/uwsgi;
  scgi_temp_path ${dir}/scgi;
${http}
  server {
    listen ${listen};
${server}
  }
}
`;
}
