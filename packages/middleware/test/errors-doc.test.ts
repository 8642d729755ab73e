import { readdir, readFile } from 'node:fs/promises';
import { errorsDocEntries } from '@rws/test-helpers';
import { expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/index.js';

it('docs/errors.md lists exactly the @rws/middleware codes, with the same meanings', () => {
  expect(errorsDocEntries('@rws/middleware')).toEqual(ERROR_DESCRIPTIONS);
});

it('ERROR_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expect(Object.values(ERROR_CODES).sort()).toEqual(Object.keys(ERROR_DESCRIPTIONS).sort());
  for (const [key, code] of Object.entries(ERROR_CODES)) expect(code).toBe(`RWS_MIDDLEWARE_${key}`);
});

it('every declared code is used in src', async () => {
  const src = new URL('../src/', import.meta.url);
  let all = '';
  for (const entry of await readdir(src, { recursive: true })) {
    if (entry.endsWith('.ts') && !entry.endsWith('errors.ts'))
      all += await readFile(new URL(entry, src), 'utf8');
  }
  for (const key of Object.keys(ERROR_CODES)) expect(all, key).toContain(`ERROR_CODES.${key}`);
});
