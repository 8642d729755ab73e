import { expectErrorsDocInSync } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/errors.js';

describe('error codes', () => {
  it('are RWS_HTTP1_* and each has a description', () => {
    for (const code of Object.values(ERROR_CODES)) {
      expect(code).toMatch(/^RWS_HTTP1_[A-Z0-9_]+$/);
      expect(ERROR_DESCRIPTIONS[code], code).toBeTruthy();
    }
    expect(Object.keys(ERROR_DESCRIPTIONS).sort()).toEqual(Object.values(ERROR_CODES).sort());
  });

  it('match the @rws/http1 rows of docs/errors.md exactly', () => {
    expectErrorsDocInSync('@rws/http1', ERROR_DESCRIPTIONS);
  });
});
