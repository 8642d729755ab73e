/**
 * Issue #8: when the default port is busy and no port was asked for, rws takes the next free
 * one and says so; an explicit port that is busy stays an error. Real sockets: the "default"
 * port here is one the OS picked and a blocker holds, so the test never touches 7878.
 */
import { type AddressInfo, createServer, type Server } from 'node:net';
import { isRwsError } from '@rws/core';
import type { RunningServer } from '@rws/server';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main, resolveConfig, type StartContext } from '../src/index.js';
import { startServer } from '../src/start.js';
import { tempDir } from './cli-process.js';
import { captureIo } from './helpers.js';

async function blocker(): Promise<{ server: Server; port: number }> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { server, port: (server.address() as AddressInfo).port };
}

function start(port: number, isPortExplicit: boolean, out: string[]): Promise<RunningServer> {
  const dir = tempDir('rws-port-');
  const resolved = resolveConfig({ argv: ['--port', String(port)], env: {}, cwd: dir });
  expect(resolved.problems).toEqual([]);
  const context: StartContext = {
    stdout: (t) => out.push(t),
    stderr: (t) => out.push(t),
    resolve: () => resolved,
    hasAccessLog: false,
    isPortExplicit,
  };
  return startServer(resolved.config, context);
}

describe('a busy default port (issue #8)', () => {
  it('no port asked for: the next free port, named in the banner', async () => {
    const { port } = await blocker();
    const out: string[] = [];
    const server = await start(port, false, out);
    onTestFinished(() => server.close());
    expect(server.address.port).toBeGreaterThan(port);
    const banner = out.join('');
    expect(banner).toContain(`  ➜ http://127.0.0.1:${server.address.port}/\n`);
    expect(banner).toContain(`  port ${port} is in use, so rws took the next free port\n`);
    const res = await fetch(`http://127.0.0.1:${server.address.port}/`);
    expect(res.status).toBe(200);
    await res.arrayBuffer();
  });

  it('an explicit port that is busy stays an error', async () => {
    const { port } = await blocker();
    const out: string[] = [];
    const err = await start(port, true, out).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isRwsError(err, 'RWS_SERVER_LISTEN_FAILED')).toBe(true);
    expect((err as Error & { cause: { code: string } }).cause.code).toBe('EADDRINUSE');
    expect(out.join('')).toBe('');
  });

  it.each<[string, string[], Record<string, string>, string | null, boolean]>([
    ['nothing', [], {}, null, false],
    ['--port', ['--port', '7878'], {}, null, true],
    ['-p', ['-p', '8000'], {}, null, true],
    ['RWS_CONFIG_PORT', [], { RWS_CONFIG_PORT: '7878' }, null, true],
    ['port in the file', [], {}, 'port = 7878\n', true],
  ])('main: isPortExplicit after %s', async (_name, argv, env, file, isExplicit) => {
    const io = captureIo(env, {
      files: file === null ? {} : { '/srv/site/rws.config.toml': file },
    });
    let context: StartContext | undefined;
    io.startServer = async (_config, ctx) => {
      context = ctx;
    };
    expect(await main(argv, io)).toBe(0);
    expect(context?.isPortExplicit).toBe(isExplicit);
  });
});
