/**
 * Issue #8 hardening through the CLI: `rws check` reports the new keys' problems with their
 * key path and warns when a health endpoint hides a file; the real binary prints why a listen
 * failed, answers only loopback Host names, serves the admin listener and reports shutdown.
 */
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { type AddressInfo, connect, createServer } from 'node:net';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { main } from '../src/index.js';
import { cleanEnv, REPO_ROOT, sourceArgs, startCli, tempDir } from './cli-process.js';
import { CWD, captureIo } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;

describe('rws check: issue #8 keys', () => {
  it('reports bad values with their key path', async () => {
    const text = [
      'allowed_hosts = ["ok.test", "bad name"]',
      'healthz_path = "health"',
      'tls_min_version = "1.1"',
      'handshake_timeout_ms = -1',
      '[admin]',
      'listen = "nope"',
      '',
    ].join('\n');
    const io = captureIo({}, { files: { [FILE]: text } });
    expect(await main(['check'], io)).toBe(1);
    expect(io.err).toBe(
      [
        'rws: configuration has 5 problems:',
        '  rws.config.toml:2: healthz_path: must be a path starting with / or off, got "health"',
        '  rws.config.toml:3: tls_min_version: must be one of 1.2, 1.3, got "1.1"',
        '  rws.config.toml:4: handshake_timeout_ms: must be a whole number ≥ 0, got -1',
        '  rws.config.toml:6: admin.listen: must be a port or host:port (e.g. 9100, 127.0.0.1:9100, [::1]:9100), got "nope"',
        '  rws.config.toml:1: allowed_hosts[1]: "bad name" is not a host name, *.wildcard or IP address',
        '',
      ].join('\n'),
    );
  });

  it('flags in both forms, and an admin port that clashes with the main port', async () => {
    const io = captureIo();
    expect(await main(['check', '--port=9000', '--admin', '9000'], io)).toBe(1);
    expect(io.err).toContain('--admin: port must differ from port');
    const ok = captureIo();
    expect(
      await main(['check', '--admin=[::1]:9100', '--metrics-path', 'off', '--hsts=max-age=60'], ok),
    ).toBe(0);
  });

  it('warns when a health endpoint hides a file of the root', async () => {
    const io = captureIo({}, { files: { [`${CWD}/healthz`]: 'my page' } });
    expect(await main(['check'], io)).toBe(0);
    expect(io.err).toBe(
      `rws: warning: healthz_path: /healthz is also a file in the root (${CWD}/healthz); the built-in endpoint answers it — move the endpoint (another path, off, or --admin)\n`,
    );
    const moved = captureIo({}, { files: { [`${CWD}/healthz`]: 'my page' } });
    expect(await main(['check', '--healthz-path', '/_/healthz'], moved)).toBe(0);
    expect(moved.err).toBe('');
    const admin = captureIo({}, { files: { [`${CWD}/healthz`]: 'my page' } });
    expect(await main(['check', '--admin', '0'], admin)).toBe(0);
    expect(admin.err).toBe('');
  });
});

describe('the rws binary: issue #8', () => {
  it('a busy port: the full reason, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => blocker.close(() => resolve())));
    const port = (blocker.address() as AddressInfo).port;
    const dir = tempDir('rws-cli-busy-');
    const child = spawnSync(process.execPath, sourceArgs(['--port', String(port), dir]), {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 20_000,
    });
    expect(child.stderr).toBe(
      `rws: cannot listen on 127.0.0.1:${port} (http): port ${port} is already in use\n`,
    );
    expect(child.status).toBe(1);
  });

  it('an address that is not local: the full reason, exit 1', () => {
    // TEST-NET-1 is never assigned: the bind fails locally, nothing is sent anywhere.
    const dir = tempDir('rws-cli-addr-');
    const child = spawnSync(process.execPath, sourceArgs(['-i', '192.0.2.1', '-p', '0', dir]), {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: cleanEnv(),
      timeout: 20_000,
    });
    expect(child.stderr).toBe(
      'rws: cannot listen on 192.0.2.1:0 (http): address 192.0.2.1 is not an address of this machine\n',
    );
    expect(child.status).toBe(1);
  });

  it('answers loopback Host names only, serves the admin listener, reports shutdown', async () => {
    const dir = tempDir('rws-cli-host-');
    writeFileSync(join(dir, 'healthz'), 'my file');
    const rws = await startCli(['--port', '0', '--admin', '0', dir], { cwd: dir });
    expect(rws.urls).toHaveLength(2);
    expect(rws.stdout).toContain('(admin: /healthz, /readyz, /metrics)');
    const port = new URL(rws.origin).port;
    const get = async (url: string, host: string) => {
      const socket = connect(Number(new URL(url).port), '127.0.0.1');
      let raw = '';
      socket.setEncoding('latin1');
      socket.on('data', (c: string) => {
        raw += c;
      });
      const path = new URL(url).pathname;
      socket.write(`GET ${path} HTTP/1.1\r\nhost: ${host}\r\nconnection: close\r\n\r\n`);
      await new Promise((resolve) => socket.once('close', resolve));
      return raw;
    };
    // The site keeps its own /healthz file: the endpoints moved to the admin listener.
    expect(await get(`${rws.origin}/healthz`, `localhost:${port}`)).toMatch(/my file$/);
    expect(await get(`${rws.origin}/healthz`, 'rebind.evil.test')).toMatch(/^HTTP\/1\.1 421 /);
    const admin = rws.urls[1]!;
    expect(await get(`${admin}healthz`, 'localhost')).toMatch(/^HTTP\/1\.1 200 [\s\S]*\r\n\r\nOK$/);
    expect(await get(`${admin}metrics`, 'localhost')).toContain('rws_http_requests_total');
    expect(await rws.stop('SIGTERM')).toBe(0);
    expect(rws.stderr).toMatch(
      /^rws: received SIGTERM, draining \d+ connections?\nrws: stopped\n$/,
    );
  });
});
