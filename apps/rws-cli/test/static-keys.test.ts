/**
 * Issue #8 "what serve, http-server and Caddy users expect": the keys for Cache-Control,
 * dotfiles, compression, response headers, the shutdown grace period and --open — parsed from
 * flags, env and rws.config.toml, shown by `rws check`, rejected with the exact message.
 */
import { describe, expect, it } from 'vitest';
import { main, parseArgs, parseToml } from '../src/index.js';
import { CWD, captureIo } from './helpers.js';

const FILE = `${CWD}/rws.config.toml`;

describe('flags', () => {
  it('each key from the command line', () => {
    const parsed = parseArgs([
      '--cache-max-age',
      '3600',
      '--cache-immutable',
      '--dotfiles',
      'deny',
      '--no-compression',
      '--header',
      'X-Frame-Options: DENY',
      '--header=Referrer-Policy: no-referrer',
      '--header',
      'x-frame-options: SAMEORIGIN',
      '--shutdown-grace-ms',
      '250',
      '--open',
    ]);
    expect(parsed.problems).toEqual([]);
    expect(Object.fromEntries(parsed.values)).toEqual({
      cacheMaxAge: 3600,
      cacheImmutable: true,
      dotfiles: 'deny',
      compression: false,
      // Repeatable; a later one for the same name (any case) replaces it.
      headers: { 'Referrer-Policy': 'no-referrer', 'x-frame-options': 'SAMEORIGIN' },
      shutdownGraceMs: 250,
      open: true,
    });
  });

  it.each<[string[], string]>([
    [['--dotfiles', 'hide'], 'rws: --dotfiles: must be one of ignore, deny, allow, got "hide"'],
    [['--header', 'X-Nope'], 'rws: --header: must be "Name: value", got "X-Nope"'],
    [['--header', 'Bad Name: 1'], 'rws: --header: "Bad Name" is not a valid header name'],
    [
      ['--header', 'Content-Length: 5'],
      'rws: --header: Content-Length is set by rws itself and cannot be configured',
    ],
    [['--cache-max-age', '1h'], 'rws: --cache-max-age: must be a whole number ≥ 0, got "1h"'],
  ])('%j → exact message, exit 2', async (argv, line) => {
    const io = captureIo();
    expect(await main(argv, io)).toBe(2);
    expect(io.err).toBe(`${line}\nRun rws --help for usage.\n`);
  });
});

describe('rws.config.toml', () => {
  it('reads every key, [headers] as a table', () => {
    const parsed = parseToml(
      [
        'cache_max_age = 60',
        'cache_immutable = true',
        'dotfiles = "allow"',
        'compression = "off"',
        'shutdown_grace_ms = 1000',
        'open = true',
        '[headers]',
        'X-Frame-Options = "DENY"',
        '"Permissions-Policy" = "camera=()"',
        '',
      ].join('\n'),
      'rws.config.toml',
    );
    expect(parsed.problems).toEqual([]);
    expect(Object.fromEntries(parsed.values)).toEqual({
      cacheMaxAge: 60,
      cacheImmutable: true,
      dotfiles: 'allow',
      compression: false,
      shutdownGraceMs: 1000,
      open: true,
      headers: { 'X-Frame-Options': 'DENY', 'Permissions-Policy': 'camera=()' },
    });
  });

  it('rws check lists the bad values with their lines', async () => {
    const io = captureIo(
      {},
      {
        files: {
          [FILE]:
            'dotfiles = "show"\nshutdown_grace_ms = "5s"\nheaders = "X-A: 1"\n[cors]\nmax_age = 1\n',
        },
      },
    );
    expect(await main(['check'], io)).toBe(1);
    expect(io.err).toBe(
      [
        'rws: configuration has 3 problems:',
        '  rws.config.toml:1: dotfiles: must be one of ignore, deny, allow, got "show"',
        '  rws.config.toml:2: shutdown_grace_ms: must be a whole number ≥ 0, got the string "5s" (write it without quotes)',
        '  rws.config.toml:3: headers: must be a table of header names to values, got "X-A: 1"',
        '',
      ].join('\n'),
    );
  });

  it('rws check shows the static settings and the header names', async () => {
    const io = captureIo(
      {},
      {
        files: {
          [FILE]:
            'cache_max_age = 600\ncache_immutable = true\ndotfiles = "deny"\n[headers]\nX-A = "1"\nX-B = "2"\n',
        },
      },
    );
    expect(await main(['check'], io)).toBe(0);
    expect(io.out).toContain(
      '  static:   listing on · dotfiles deny · compression on · cache max-age=600 (immutable for fingerprinted names)\n',
    );
    expect(io.out).toContain('  headers:  X-A, X-B\n');
  });
});
