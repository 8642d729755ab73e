import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { reservePort } from './ports.js';

/** The nginx binary on this machine (PATH, /usr/sbin, /usr/local/sbin), or null. */
export function findNginx(): string | null {
  for (const candidate of ['nginx', '/usr/sbin/nginx', '/usr/local/sbin/nginx']) {
    try {
      execFileSync(candidate, ['-v'], { stdio: 'pipe' });
      return candidate;
    } catch {}
  }
  return null;
}

/** How `startNginx` configures the server. */
export interface NginxOptions {
  /** The binary. Default: `findNginx()`. */
  bin?: string;
  /** Prefix of the temp dir name. Default `rws-nginx-`. */
  prefix?: string;
  /** `error_log` level. Default `warn`. */
  errorLogLevel?: string;
  /** `worker_connections`. Default 128. */
  workerConnections?: number;
  /**
   * The directives of the `http {}` block besides the temp paths: `dir` is the temp dir (its
   * `www/` exists), `port` the free 127.0.0.1 port to `listen` on.
   */
  http(dir: string, port: number): string;
  /** Called with the temp dir before nginx starts (to write files under `www/`). */
  setup?(dir: string): void;
}

/** A running nginx. */
export interface RunningNginx {
  readonly origin: string;
  readonly port: number;
  /** The temp dir: nginx.conf, error.log, access.log, www/. */
  readonly dir: string;
  /** Stops nginx and removes its temp dir. */
  stop(): Promise<void>;
}

async function waitForPort(port: number, deadlineMs: number): Promise<void> {
  const end = Date.now() + deadlineMs;
  while (Date.now() < end) {
    const ok = await new Promise<boolean>((resolve) => {
      const s = net.connect(port, '127.0.0.1');
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
    });
    if (ok) return;
    await new Promise((r) => setTimeout(r, 50));
  }
  throw new Error(`nginx did not listen on ${port}`);
}

/**
 * Runs nginx in the foreground from a temp dir (no master process, one worker, pid, logs and
 * temp paths inside the dir) on a free port; resolves once it accepts connections.
 */
export async function startNginx(options: NginxOptions): Promise<RunningNginx> {
  const bin = options.bin ?? findNginx();
  if (bin === null) throw new Error('nginx is not installed (apt-get install -y nginx)');
  const dir = mkdtempSync(join(tmpdir(), options.prefix ?? 'rws-nginx-'));
  mkdirSync(join(dir, 'www'));
  mkdirSync(join(dir, 'tmp'));
  options.setup?.(dir);
  const port = await reservePort();
  const conf = `
daemon off;
master_process off;
worker_processes 1;
pid ${dir}/nginx.pid;
error_log ${dir}/error.log ${options.errorLogLevel ?? 'warn'};
events { worker_connections ${options.workerConnections ?? 128}; }
http {
  client_body_temp_path ${dir}/tmp/body;
  proxy_temp_path ${dir}/tmp/proxy;
  fastcgi_temp_path ${dir}/tmp/fastcgi;
  uwsgi_temp_path ${dir}/tmp/uwsgi;
  scgi_temp_path ${dir}/tmp/scgi;
${options.http(dir, port)}
}
`;
  writeFileSync(join(dir, 'nginx.conf'), conf);
  const proc: ChildProcess = spawn(bin, ['-p', dir, '-c', join(dir, 'nginx.conf')], {
    stdio: 'ignore',
  });
  try {
    await waitForPort(port, 5000);
  } catch (err) {
    proc.kill('SIGTERM');
    rmSync(dir, { recursive: true, force: true });
    throw err;
  }
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    dir,
    async stop() {
      if (proc.exitCode === null && proc.signalCode === null) {
        const exited = new Promise((resolve) => proc.once('exit', resolve));
        proc.kill('SIGTERM');
        await exited;
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
