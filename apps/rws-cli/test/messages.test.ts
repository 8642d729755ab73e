/**
 * Issue #8 "Clear errors": the exact text a user sees for each slip, through `main` with a
 * captured stderr (the file system is the in-memory one of helpers.ts).
 */
import { describe, expect, it } from 'vitest';
import { main } from '../src/index.js';
import { CWD, captureIo } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;

async function run(
  argv: string[],
  files: Record<string, string> = {},
  dirs: string[] = [],
): Promise<{ code: number; err: string }> {
  const io = captureIo({}, { files, dirs });
  const code = await main(argv, io);
  expect(io.started).toEqual([]);
  return { code, err: io.err };
}

describe('a bad or unknown flag value never becomes ROOT (issue #8)', () => {
  it('rws --prot 8080 → only the unknown flag, with did-you-mean', async () => {
    expect(await run(['--prot', '8080'])).toEqual({
      code: 2,
      err: 'rws: --prot: unknown flag (did you mean --port?)\nRun rws --help for usage.\n',
    });
  });

  it('rws --directory-listing maybe → only the bad boolean', async () => {
    expect(await run(['--directory-listing', 'maybe'])).toEqual({
      code: 2,
      err: 'rws: --directory-listing: must be true or false (or on/off), got "maybe"\nRun rws --help for usage.\n',
    });
  });

  it('rws -a maybe → the same for a short flag', async () => {
    expect(await run(['-a', 'maybe'])).toMatchObject({
      code: 2,
      err: 'rws: -a: must be true or false (or on/off), got "maybe"\nRun rws --help for usage.\n',
    });
  });

  it('a path-like word after a boolean flag stays "directory not found"', async () => {
    expect(await run(['--open', './pubilc'])).toEqual({
      code: 1,
      err: 'rws: configuration has 1 problem:\n  --root: directory not found: /srv/site/pubilc\n',
    });
  });

  it('a boolean flag followed by a directory that exists still serves it', async () => {
    const io = captureIo({}, { dirs: ['/srv/site/public'] });
    expect(await main(['--directory-listing', 'public'], io)).toBe(0);
    expect(io.started).toMatchObject([{ root: '/srv/site/public', directoryListing: true }]);
  });

  it('a missing ROOT that does not follow a boolean flag is still "directory not found"', async () => {
    expect(await run(['nothere'])).toEqual({
      code: 1,
      err: 'rws: configuration has 1 problem:\n  --root: directory not found: /srv/site/nothere\n',
    });
  });
});

describe('config file messages (issue #8)', () => {
  it('thread_count: the warning does not repeat the key', async () => {
    const io = captureIo({}, { files: { [FILE]: 'thread_count = 4\n' } });
    expect(await main(['check'], io)).toBe(0);
    expect(io.err).toBe(
      'rws: warning: rws.config.toml:1: thread_count: is not used by rws (it has no thread pool); use workers\n',
    );
  });

  it.each([
    ['port = 9090.5\n', 'port: must be a port number from 0 to 65535, got 9090.5'],
    [
      'port = "9090"\n',
      'port: must be a port number from 0 to 65535, got the string "9090" (write it without quotes)',
    ],
    ['port = -1\n', 'port: must be a port number from 0 to 65535, got -1'],
    [
      '[cors]\nmax_age = "600"\n',
      'cors.max_age: must be a whole number ≥ 0, got the string "600" (write it without quotes)',
    ],
  ])('%j', async (text, message) => {
    const line = text.startsWith('[cors]') ? 2 : 1;
    expect(await run(['check'], { [FILE]: text })).toEqual({
      code: 1,
      err: `rws: configuration has 1 problem:\n  rws.config.toml:${line}: ${message}\n`,
    });
  });

  it('--config DIR says it is a directory', async () => {
    expect(await run(['check', '--config', 'conf'], {}, ['/srv/site/conf'])).toEqual({
      code: 1,
      err: 'rws: configuration has 1 problem:\n  --config: /srv/site/conf is a directory, not a config file (did you mean /srv/site/conf/rws.config.toml?)\n',
    });
  });

  it.each([
    [
      'port = 1\nroot = "public\nip = "::"\n',
      2,
      'unterminated string (the closing quote is missing on this line)',
    ],
    ["root = 'public\n", 1, 'unterminated string (the closing quote is missing on this line)'],
    ['port = 1\nroot = "public', 2, 'unterminated string (the closing quote is missing)'],
  ])('unterminated string %j', async (text, line, message) => {
    expect(await run(['check'], { [FILE]: text })).toEqual({
      code: 1,
      err: `rws: configuration has 1 problem:\n  rws.config.toml:${line}: (syntax): ${message}\n`,
    });
  });
});
