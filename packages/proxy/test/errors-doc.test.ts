import { expectErrorCodesDeclared, expectErrorsDocInSync } from '@rws/test-helpers';
import { it } from 'vitest';
import {
  DISCOVERY_ERROR_CODES,
  ERROR_CODES,
  ERROR_DESCRIPTIONS,
  GATEWAY_CONFIG_CODES,
} from '../src/index.js';

it('docs/errors.md lists exactly the @rws/proxy codes, with the same meanings', () => {
  expectErrorsDocInSync('@rws/proxy', ERROR_DESCRIPTIONS);
});

it('ERROR_CODES + GATEWAY_CONFIG_CODES and ERROR_DESCRIPTIONS name the same codes', () => {
  expectErrorCodesDeclared(
    { ...ERROR_CODES, ...GATEWAY_CONFIG_CODES, ...DISCOVERY_ERROR_CODES },
    ERROR_DESCRIPTIONS,
    'RWS_PROXY_',
  );
});
