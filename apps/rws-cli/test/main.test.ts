import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { type AddressInfo, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { main, type StartContext, VERSION } from '../src/index.js';
import { startServer } from '../src/start.js';
import { CWD, captureIo } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;

describe('main: help and version', () => {
  it('--help prints every flag and exits 0', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    for (const flag of [
      '--ip',
      '--port',
      '--root',
      '--tls-cert-file',
      '--cors-allow-headers',
      '--workers',
      '--config',
    ]) {
      expect(io.out).toContain(flag);
    }
    expect(io.out).toContain('-p, --port <port>');
    expect(io.out).toContain('-h, --help');
    expect(io.out).toContain('env RWS_CONFIG_PORT');
    expect(io.err).toBe('');
  });

  it('issue #8, #21: --help says HTTP/3 is served on UDP with a certificate, not in the title', async () => {
    const io = captureIo();
    expect(await main(['--help'], io)).toBe(0);
    const [title = '', ...rest] = io.out.split('\n');
    expect(title).toContain('HTTP/1.1');
    expect(title).toContain('HTTP/2 with a certificate');
    expect(title).not.toMatch(/HTTP\/3/);
    const mentions = rest.filter((l) => /HTTP\/3|UDP/.test(l));
    expect(mentions.some((l) => l.trimStart().startsWith('--http3'))).toBe(true);
    expect(mentions).toContain(
      'plus HTTP/3 on UDP at the same port number (one worker; --http3 off turns it off).',
    );
  });

  it('--version prints the package version', async () => {
    const io = captureIo();
    expect(await main(['-v'], io)).toBe(0);
    expect(io.out).toBe(`rws ${VERSION} (Node.js ${process.version})\n`);
  });
});

describe('main: usage errors exit 2 with a hint', () => {
  it.each<[string[], string]>([
    [['--prot', '80'], 'rws: --prot: unknown flag (did you mean --port?)'],
    [['-p', 'abc'], 'rws: -p: must be a port number from 0 to 65535, got "abc"'],
    [['--port'], 'rws: --port: needs a value <port> (e.g. --port=8080)'],
  ])('%j', async (argv, line) => {
    const io = captureIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.err).toContain(`${line}\n`);
    expect(io.err).toContain('Run rws --help for usage.');
    expect(io.started).toEqual([]);
  });
});

describe('main: rws check', () => {
  it('valid configuration → "config OK" summary, exit 0', async () => {
    const io = captureIo({ RWS_CONFIG_PORT: '9000' }, { files: { [FILE]: 'ip = "0.0.0.0"\n' } });
    expect(await main(['check'], io)).toBe(0);
    expect(io.out).toContain('config OK');
    expect(io.out).toContain(`file:     ${FILE}`);
    expect(io.out).toContain('listen:   http://0.0.0.0:9000');
    expect(io.out).toContain(`root:     ${CWD}`);
    expect(io.err).toBe('');
  });

  it('prints every problem with file:line and exits 1', async () => {
    const text = 'prot = 1\nport = 99999\n[cors]\nallow_al = true\n';
    const io = captureIo({}, { files: { [FILE]: text } });
    expect(await main(['check'], io)).toBe(1);
    expect(io.err).toBe(
      [
        'rws: configuration has 3 problems:',
        '  rws.config.toml:1: prot: unknown key (did you mean "port"?)',
        '  rws.config.toml:2: port: must be a port number from 0 to 65535, got 99999',
        '  rws.config.toml:4: cors.allow_al: unknown key (did you mean "allow_all"?)',
        '',
      ].join('\n'),
    );
    expect(io.out).toBe('');
  });

  it('warnings go to stderr but do not fail the check', async () => {
    const io = captureIo({}, { files: { [FILE]: 'thread_count = 4\n' } });
    expect(await main(['check'], io)).toBe(0);
    expect(io.err).toContain('rws: warning: rws.config.toml:1: thread_count');
    expect(io.out).toContain('warnings: 1');
  });

  it('builds the gateway: summary on success, every build problem with key path and line (issue #10)', async () => {
    const text =
      '[[upstream]]\nname = "api"\nbackends = ["127.0.0.1:9"]\n[[route]]\n[route.action]\ntype = "proxy"\nupstream = "api"\n' +
      '[route.middleware]\nauth = { type = "bearer", token_env = "GW_TOKEN" }\n';
    const ok = captureIo({ GW_TOKEN: 't' }, { files: { [FILE]: text } });
    expect(await main(['check'], ok)).toBe(0);
    expect(ok.out).toContain('gateway:  1 route, 1 upstream, unmatched requests 404');
    const missing = captureIo({}, { files: { [FILE]: text } });
    expect(await main(['check'], missing)).toBe(1);
    expect(missing.err).toContain(
      'rws.config.toml:9: route[0].middleware.auth: bearerAuth: environment variable GW_TOKEN is not set or empty (refusing to start open)',
    );
  });
});

describe('main: serve', () => {
  it('hands the resolved config to startServer', async () => {
    const io = captureIo();
    expect(await main(['-p', '0'], io)).toBe(0);
    expect(io.started).toMatchObject([{ port: 0, ip: '127.0.0.1' }]);
  });

  it('does not start with problems', async () => {
    const io = captureIo({ RWS_CONFIG_PORT: 'x' });
    expect(await main([], io)).toBe(1);
    expect(io.started).toEqual([]);
  });

  it('passes a context whose resolve() re-reads the config the same way (SIGHUP)', async () => {
    const files: Record<string, string> = { [FILE]: 'port = 9000\n' };
    const io = captureIo({}, { files });
    let context: StartContext | undefined;
    io.startServer = async (_config, ctx) => {
      context = ctx;
    };
    expect(await main(['--ip', '0.0.0.0'], io)).toBe(0);
    files[FILE] = 'port = 9001\n';
    const again = await context!.resolve();
    expect(again.problems).toEqual([]);
    expect(again.config).toMatchObject({ port: 9001, ip: '0.0.0.0', configFile: FILE });
  });

  it('a failure to start (busy port) exits 1 with the message', async () => {
    const blocker = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const port = (blocker.address() as AddressInfo).port;
    const dir = mkdtempSync(join(tmpdir(), 'rws-cli-busy-'));
    try {
      const io = captureIo();
      // The real file system: serveStatic needs a real root.
      io.cwd = dir;
      io.readFile = undefined;
      io.fileKind = undefined;
      io.startServer = startServer;
      expect(await main(['--port', String(port)], io)).toBe(1);
      expect(io.err).toContain(`rws: cannot listen on 127.0.0.1:${port}`);
      expect(io.out).toBe('');
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await new Promise((resolve) => blocker.close(resolve));
    }
  });
});

describe('the rws binary (one real process)', () => {
  it('node --import tsx src/cli.ts check → problems on stderr, exit 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'rws-cli-'));
    try {
      const config = join(dir, 'rws.config.toml');
      writeFileSync(config, 'port = "eighty"\n');
      const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));
      const cli = fileURLToPath(new URL('../src/cli.ts', import.meta.url));
      const child = spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--conditions=@rws/source',
          cli,
          'check',
          '--config',
          config,
          '--root',
          dir,
        ],
        {
          cwd: repoRoot,
          encoding: 'utf8',
          env: { PATH: process.env['PATH'] ?? '' },
          timeout: 15_000,
        },
      );
      expect(child.stderr).toContain('rws.config.toml:1: port: must be a port number');
      expect(child.status).toBe(1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
