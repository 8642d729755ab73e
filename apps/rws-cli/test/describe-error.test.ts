import { HttpError, RwsError } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { describeError } from '../src/internal/describe-error.js';

describe('describeError: what the CLI logs for a request error (issue #8)', () => {
  it('a 4xx is one line: message and code, no stack', () => {
    expect(describeError(new HttpError(413, 'body too large'))).toBe(
      'body too large (RWS_CORE_HTTP_ERROR)',
    );
    expect(describeError(new RwsError('RWS_X_BAD', 'bad input', { status: 400 }))).toBe(
      'bad input (RWS_X_BAD)',
    );
  });

  it('a 5xx or an unknown throw keeps its stack', () => {
    const err = new Error('boom');
    expect(describeError(err)).toBe(err.stack);
    expect(describeError(err).split('\n').length).toBeGreaterThan(1);
    expect(describeError('a string')).toBe('a string');
  });
});
