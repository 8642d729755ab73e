import { expectErrorCodesDeclared, expectErrorsDocInSync, readSourceText } from '@rws/test-helpers';
import { expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/index.js';

it('docs/errors.md lists exactly the @rws/router codes, with the same meanings', () => {
  expectErrorsDocInSync('@rws/router', ERROR_DESCRIPTIONS);
});

it('ERROR_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expectErrorCodesDeclared(ERROR_CODES, ERROR_DESCRIPTIONS, 'RWS_ROUTER_');
});

it('every declared code is used in src (as ERROR_CODES.X), and no literal code is undeclared', async () => {
  const code = await readSourceText(new URL('../src/', import.meta.url), (e) => e === 'errors.ts');
  const used = new Set<string>();
  for (const match of code.matchAll(/ERROR_CODES\.([A-Z_]+)/g)) used.add(`RWS_ROUTER_${match[1]}`);
  for (const match of code.matchAll(/RWS_ROUTER_[A-Z_]+/g)) used.add(match[0]);
  expect([...used].sort()).toEqual(Object.keys(ERROR_DESCRIPTIONS).sort());
});
