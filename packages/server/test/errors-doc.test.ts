import { errorsDocEntries } from '@rws/test-helpers';
import { expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/index.js';

it('docs/errors.md lists exactly the @rws/server codes, with the same meanings', () => {
  expect(errorsDocEntries('@rws/server')).toEqual(ERROR_DESCRIPTIONS);
});

it('ERROR_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expect(Object.values(ERROR_CODES).sort()).toEqual(Object.keys(ERROR_DESCRIPTIONS).sort());
  for (const [key, code] of Object.entries(ERROR_CODES)) expect(code).toBe(`RWS_SERVER_${key}`);
});

it('every declared code is used in src', async () => {
  const { readdir, readFile } = await import('node:fs/promises');
  const src = new URL('../src/', import.meta.url);
  let code = '';
  for (const entry of await readdir(src, { recursive: true })) {
    if (!entry.endsWith('.ts') || entry === 'errors.ts') continue;
    code += await readFile(new URL(entry, src), 'utf8');
  }
  for (const key of Object.keys(ERROR_CODES)) expect(code).toContain(`ERROR_CODES.${key}`);
});
