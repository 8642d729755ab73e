import { expectErrorCodesDeclared, expectErrorsDocInSync, readSourceText } from '@rws/test-helpers';
import { expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/index.js';

it('docs/errors.md lists exactly the @rws/identity codes, with the same meanings', () => {
  expectErrorsDocInSync('@rws/identity', ERROR_DESCRIPTIONS);
});

it('ERROR_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expectErrorCodesDeclared(ERROR_CODES, ERROR_DESCRIPTIONS, 'RWS_IDENTITY_');
});

it('every declared code is used in src', async () => {
  const all = await readSourceText(new URL('../src/', import.meta.url), (e) =>
    e.endsWith('errors.ts'),
  );
  for (const key of Object.keys(ERROR_CODES)) expect(all, key).toContain(`ERROR_CODES.${key}`);
});
