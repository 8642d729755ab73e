/**
 * Target factories. A suite lists targets built from these: a Node server script (rws or a
 * Node peer) or nginx. Each start() picks a free port, starts the server pinned to
 * SERVER_CPU and polls the port until it accepts connections.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { freePort, SERVER_CPU, spawnPinned, waitForPort } from './process.js';
import type { RunningTarget, Target } from './types.js';

/** The repository root (servers run from it so workspace packages resolve). */
export const REPO_ROOT: string = fileURLToPath(new URL('../../../', import.meta.url));

/** Absolute URL of a server script in tooling/bench/src/servers. */
export function serverScript(file: string): URL {
  return new URL(`./servers/${file}`, import.meta.url);
}

// tsx's loader, resolved from this package, so server scripts may be TypeScript importing
// workspace sources (`.js` specifiers that point at `.ts` files).
const TSX_LOADER = import.meta.resolve('tsx');

async function startPinned(
  name: string,
  port: number,
  command: string,
  args: readonly string[],
  env: Readonly<Record<string, string>> = {},
): Promise<RunningTarget> {
  const proc = spawnPinned(SERVER_CPU, command, args, {
    env: { ...process.env, NODE_ENV: 'production', ...env, PORT: String(port) },
    cwd: REPO_ROOT,
  });
  try {
    await waitForPort(port, proc.child);
  } catch (err) {
    await proc.stop();
    throw new Error(`${name}: ${(err as Error).message}\n${proc.output()}`, { cause: err });
  }
  return { url: `http://127.0.0.1:${port}`, stop: () => proc.stop() };
}

export interface NodeServerOptions {
  /** Extra environment for the server process (PORT is always set). */
  readonly env?: Readonly<Record<string, string>>;
  /** Extra node flags, e.g. `--max-semi-space-size=64`. */
  readonly nodeArgs?: readonly string[];
}

/**
 * A server script run by the same Node as the harness (the workspace's Node 24), with the
 * `@rws/source` condition and tsx's loader. The script listens on 127.0.0.1:$PORT.
 */
export function nodeServer(name: string, script: URL, options: NodeServerOptions = {}): Target {
  return {
    name,
    start: async () =>
      startPinned(
        name,
        await freePort(),
        process.execPath,
        [
          '--conditions=@rws/source',
          '--import',
          TSX_LOADER,
          ...(options.nodeArgs ?? []),
          fileURLToPath(script),
        ],
        options.env,
      ),
  };
}

/**
 * nginx (Debian package) with a generated config in a temp dir: one worker, no daemon,
 * access log off, keep-alive unlimited so it is not penalised against Node peers that never
 * close a keep-alive connection. `locations` is the body of the `server {}` block.
 */
export function nginxServer(name: string, locations: string): Target {
  return {
    name,
    async start() {
      const dir = await mkdtemp(join(tmpdir(), 'rws-bench-nginx-'));
      const conf = join(dir, 'nginx.conf');
      try {
        const port = await freePort();
        await writeFile(conf, nginxConfig(dir, port, locations));
        const running = await startPinned(name, port, 'nginx', [
          '-p',
          dir,
          '-c',
          conf,
          '-e',
          join(dir, 'error.log'),
        ]);
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

/** The nginx.conf for `nginxServer`: everything (pid, logs, temp paths) stays inside `dir`. */
function nginxConfig(dir: string, port: number, locations: string): string {
  return `worker_processes 1;
daemon off;
master_process on;
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
  server {
    listen 127.0.0.1:${port};
${locations}
  }
}
`;
}
