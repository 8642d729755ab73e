import { expectErrorCodesDeclared, expectErrorsDocInSync, readSourceText } from '@rws/test-helpers';
import { expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/index.js';

it('docs/errors.md lists exactly the @rws/core codes, with the same meanings', () => {
  expectErrorsDocInSync('@rws/core', ERROR_DESCRIPTIONS);
});

it('ERROR_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expectErrorCodesDeclared(ERROR_CODES, ERROR_DESCRIPTIONS, 'RWS_CORE_');
});

it('every RWS_CORE_* code used in src is declared, and every declared code is used', async () => {
  const code = await readSourceText(new URL('../src/', import.meta.url), (e) => e === 'errors.ts');
  const used = new Set<string>();
  for (const match of code.matchAll(/RWS_CORE_[A-Z_]+/g)) used.add(match[0]);
  expect([...used].sort()).toEqual(Object.keys(ERROR_DESCRIPTIONS).sort());
});
