/**
 * Issue #9, one rule for error → response: `errorInfo`, `errorResponse` and `toFetchHandler`
 * agree with the shared table every layer is tested against.
 */
import { errorResponseCases } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import { errorInfo, errorResponse, HttpError, RwsError, toFetchHandler } from '../src/index.js';

const CASES = errorResponseCases({ HttpError, RwsError });

describe('the error → response rule (issue #9)', () => {
  it.each(CASES.map((c) => [c.name, c] as const))('errorInfo: %s', (_name, c) => {
    const info = errorInfo(c.thrown());
    expect({ status: info.status, message: info.message, isExposed: info.isExposed }).toEqual({
      status: c.status,
      message: c.message,
      isExposed: c.isExposed,
    });
    expect(Object.fromEntries(info.headers ?? [])).toEqual(c.headers);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('errorResponse: %s', (_name, c) => {
    const res = errorResponse(c.thrown());
    expect(res.status).toBe(c.status);
    expect(res.body).toBe(c.message);
    expect(res.headers.get('content-type')).toBe('text/plain; charset=utf-8');
    for (const [name, value] of Object.entries(c.headers))
      expect(res.headers.get(name)).toBe(value);
  });

  it.each(CASES.map((c) => [c.name, c] as const))('toFetchHandler: %s', async (_name, c) => {
    const fetchLike = toFetchHandler(() => {
      throw c.thrown();
    });
    const res = await fetchLike(new Request('http://localhost/'));
    expect(res.status).toBe(c.status);
    expect(await res.text()).toBe(c.message);
    for (const [name, value] of Object.entries(c.headers))
      expect(res.headers.get(name)).toBe(value);
  });

  it('a thrown non-object is a 500 with the reason phrase', () => {
    expect(errorInfo('boom')).toEqual({
      status: 500,
      isExposed: false,
      message: 'Internal Server Error',
      headers: null,
    });
  });

  it('headers that would not serialise are dropped, not a second error', () => {
    const err = Object.assign(new Error('x'), { status: 400, headers: { 'bad name': 'v' } });
    expect(errorInfo(err).headers).toBeNull();
    expect(errorInfo(err).status).toBe(400);
  });
});
