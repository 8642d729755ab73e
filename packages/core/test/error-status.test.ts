import { describe, expect, it } from 'vitest';
import { errorStatus, HttpError, RwsError } from '../src/index.js';

describe('errorStatus', () => {
  it.each([
    ['HttpError 404', new HttpError(404), 404],
    [
      'RwsError with status 413',
      new RwsError('RWS_CORE_BODY_TOO_LARGE', 'x', { status: 413 }),
      413,
    ],
    ['a plain object with statusCode (http-errors, fastify)', { statusCode: 429 }, 429],
    ['status wins over statusCode', { status: 400, statusCode: 503 }, 400],
    ['a 3xx status is not an error status', { status: 302 }, 500],
    ['a non-integer status', { status: 404.5 }, 500],
    ['a status as a string', { status: '404' }, 500],
    ['a plain Error', new Error('boom'), 500],
    ['a thrown string', 'boom', 500],
    ['null', null, 500],
  ])('%s → %i', (_name, err, expected) => {
    expect(errorStatus(err)).toBe(expected);
  });
});
