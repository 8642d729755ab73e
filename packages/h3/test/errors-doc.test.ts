import { expectErrorCodesDeclared, expectErrorsDocInSync } from '@rws/test-helpers';
import { it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/index.js';

it('docs/errors.md lists exactly the @rws/h3 codes, with the same meanings', () => {
  expectErrorsDocInSync('@rws/h3', ERROR_DESCRIPTIONS);
});

it('ERROR_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expectErrorCodesDeclared(ERROR_CODES, ERROR_DESCRIPTIONS, 'RWS_H3_');
});
