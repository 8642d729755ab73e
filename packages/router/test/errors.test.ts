import { errorsDocEntries } from '@rws/test-helpers';
import { expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/index.js';

it('docs/errors.md lists exactly the @rws/router codes, with the same meanings', () => {
  expect(errorsDocEntries('@rws/router')).toEqual(ERROR_DESCRIPTIONS);
});

it('ERROR_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expect(Object.values(ERROR_CODES).sort()).toEqual(Object.keys(ERROR_DESCRIPTIONS).sort());
  for (const [key, code] of Object.entries(ERROR_CODES)) expect(code).toBe(`RWS_ROUTER_${key}`);
});

it('every declared code is used in src (as ERROR_CODES.X), and no literal code is undeclared', async () => {
  const { readdir, readFile } = await import('node:fs/promises');
  const src = new URL('../src/', import.meta.url);
  const used = new Set<string>();
  for (const entry of await readdir(src, { recursive: true })) {
    if (!entry.endsWith('.ts') || entry === 'errors.ts') continue;
    const code = await readFile(new URL(entry, src), 'utf8');
    for (const match of code.matchAll(/ERROR_CODES\.([A-Z_]+)/g))
      used.add(`RWS_ROUTER_${match[1]}`);
    for (const match of code.matchAll(/RWS_ROUTER_[A-Z_]+/g)) used.add(match[0]);
  }
  expect([...used].sort()).toEqual(Object.keys(ERROR_DESCRIPTIONS).sort());
});
