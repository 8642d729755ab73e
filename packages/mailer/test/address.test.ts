import { isRwsError } from '@rws/core';
import { describe, expect, test } from 'vitest';
import { ERROR_CODES, parseAddress, parseAddressList } from '../src/index.js';

describe('parseAddressList: a corpus that must parse exactly', () => {
  const ok: Array<[string, Array<{ name: string; address: string }>]> = [
    ['ada@example.com', [{ name: '', address: 'ada@example.com' }]],
    ['  ada@example.com  ', [{ name: '', address: 'ada@example.com' }]],
    ['Ada Lovelace <ada@example.com>', [{ name: 'Ada Lovelace', address: 'ada@example.com' }]],
    ['"Lovelace, Ada" <ada@example.com>', [{ name: 'Lovelace, Ada', address: 'ada@example.com' }]],
    [
      '"A \\"quoted\\" name" <a@example.com>',
      [{ name: 'A "quoted" name', address: 'a@example.com' }],
    ],
    ['"a@b.c" <real@example.com>', [{ name: 'a@b.c', address: 'real@example.com' }]],
    [
      '"x <evil@attacker.com>" <real@example.com>',
      [{ name: 'x <evil@attacker.com>', address: 'real@example.com' }],
    ],
    ['<bare@example.com>', [{ name: '', address: 'bare@example.com' }]],
    ["o'brien+tag@sub.example.co.uk", [{ name: '', address: "o'brien+tag@sub.example.co.uk" }]],
    ['Zoë <zoe@exämple.com>', [{ name: 'Zoë', address: 'zoe@exämple.com' }]],
    [
      'a@example.com, "B, b" <b@example.com>,c@example.com',
      [
        { name: '', address: 'a@example.com' },
        { name: 'B, b', address: 'b@example.com' },
        { name: '', address: 'c@example.com' },
      ],
    ],
  ];
  for (const [input, expected] of ok) {
    test(JSON.stringify(input), () => {
      expect(parseAddressList(input)).toEqual(expected);
    });
  }
});

describe('parseAddressList: a corpus that must be refused (nodemailer 2025 advisories)', () => {
  const bad = [
    '',
    'plain',
    '@example.com',
    'ada@',
    'ada@@example.com',
    'ada@localhost',
    '"evil@attacker.com"@example.com',
    '"a"@b.com',
    'a..b@example.com',
    '.a@example.com',
    'a.@example.com',
    'a b@example.com',
    'ada@exa mple.com',
    'ada@-example.com',
    'ada@[127.0.0.1]',
    'ada@example.com\r\nBcc: victim@example.com',
    'Ada <ada@example.com>\nX: y',
    'Ada (comment) <ada@example.com>',
    'group: a@example.com;',
    'a@example.com,,b@example.com',
    '<a@example.com',
    'Ada <a@example.com> trailing',
    '"unterminated <a@example.com>',
    'Ada <<a@example.com>>',
    'x@example.com <y@example.com>',
    `${'a'.repeat(65)}@example.com`,
    `a@${'b'.repeat(64)}.com`,
  ];
  for (const input of bad) {
    test(JSON.stringify(input.slice(0, 60)), () => {
      let err: unknown;
      try {
        parseAddressList(input);
      } catch (e) {
        err = e;
      }
      expect(isRwsError(err, ERROR_CODES.INVALID_ADDRESS)).toBe(true);
    });
  }
});

test('linear time: 60 000 characters of pathological input are refused or parsed quickly', () => {
  const inputs = [
    '"'.repeat(60_000),
    '<'.repeat(60_000),
    `${'a,'.repeat(30_000)}`,
    `${'\\"'.repeat(30_000)}`,
    `"${'\\'.repeat(59_998)}"`,
    `${'a.'.repeat(30_000)}@example.com`,
  ];
  const start = performance.now();
  for (const input of inputs) {
    try {
      parseAddressList(input);
    } catch {
      // refusal is fine; time is what counts
    }
  }
  // A quadratic parser takes tens of seconds on these; linear ones take milliseconds, and the
  // bound leaves a loaded CI machine room.
  expect(performance.now() - start).toBeLessThan(2000);
});

test('objects are checked too, and parseAddress wants exactly one', () => {
  expect(parseAddress({ name: 'Ada', address: 'ada@example.com' })).toEqual({
    name: 'Ada',
    address: 'ada@example.com',
  });
  expect(() => parseAddress({ name: 'Ada\r\nBcc: x@y.z', address: 'ada@example.com' })).toThrow(
    /control/,
  );
  expect(() => parseAddress('a@example.com, b@example.com')).toThrow(/exactly one/);
});
