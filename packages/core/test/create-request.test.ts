import { REQUEST_TARGET_CASES } from '@rws/test-helpers';
import { describe, expect, it } from 'vitest';
import type { BodySource } from '../src/index.js';
import {
  Body,
  createRequest,
  Headers,
  IN_PROCESS_CONNECTION,
  isRwsError,
  splitTarget,
} from '../src/index.js';

describe('createRequest', () => {
  it('splits origin-form targets at the first ?', () => {
    const req = createRequest({ method: 'GET', target: '/a/b?x=1&y=?2' });
    expect(req.path).toBe('/a/b');
    expect(req.search).toBe('x=1&y=?2');
    expect(req.query.get('x')).toBe('1');
    expect(req.query.get('y')).toBe('?2');
  });

  it.each(REQUEST_TARGET_CASES.map((c) => [...c]))(
    'splits %s into path %j and query %j, like every layer (issue #9)',
    (target, path, search) => {
      expect(splitTarget(target)).toEqual([path, search]);
      const req = createRequest({ method: 'GET', target });
      expect([req.path, req.search]).toEqual([path, search]);
      expect(req.target).toBe(target);
    },
  );

  it('parses the query once, lazily', () => {
    const req = createRequest({ method: 'GET', target: '/?a=1' });
    expect(req.query).toBe(req.query);
    expect([...req.query]).toEqual([['a', '1']]);
  });

  it('has defaults for everything but method and target', () => {
    const req = createRequest({ method: 'GET', target: '/' });
    expect(req.protocol).toBe('http/1.1');
    expect(req.conn).toBe(IN_PROCESS_CONNECTION);
    expect(req.signal.aborted).toBe(false);
    expect(req.signal).toBe(createRequest({ method: 'GET', target: '/' }).signal);
    expect(req.params).toEqual({});
    expect(req.headers.size).toBe(0);
    expect(req.body.hasBody).toBe(false);
    expect(req.trailers).toBeNull();
    expect(Object.isFrozen(IN_PROCESS_CONNECTION)).toBe(true);
  });

  it('uses a given Headers without copying and validates other inits', () => {
    const headers = Headers.fromTrustedList(['host', 'x']);
    expect(createRequest({ method: 'GET', target: '/', headers }).headers).toBe(headers);
    const req = createRequest({ method: 'GET', target: '/', headers: { 'X-A': '1' } });
    expect(req.headers.get('x-a')).toBe('1');
    expect(() => createRequest({ method: 'GET', target: '/', headers: { 'a b': '1' } })).toThrow(
      expect.objectContaining({ code: 'RWS_CORE_INVALID_HEADER' }),
    );
  });

  it('passes through body, protocol, conn, signal and params; params stay mutable', async () => {
    const conn = { ...IN_PROCESS_CONNECTION, id: 7 };
    const ac = new AbortController();
    const req = createRequest({
      method: 'POST',
      target: '/',
      body: Body.from('hi'),
      protocol: 'h2',
      conn,
      signal: ac.signal,
      params: { id: '1' },
    });
    expect(req.protocol).toBe('h2');
    expect(req.conn).toBe(conn);
    expect(req.signal).toBe(ac.signal);
    req.params = { id: '2' };
    expect(req.params['id']).toBe('2');
    expect(await req.body.text()).toBe('hi');
  });

  it('delegates trailers to the body source', async () => {
    let isDone = false;
    const trailers = new Headers({ 'x-checksum': 'abc' });
    const source: BodySource = {
      length: null,
      read: async () => {
        if (isDone) return null;
        isDone = true;
        return new Uint8Array([1]);
      },
      cancel: () => {},
      trailers: () => (isDone ? trailers : null),
    };
    const req = createRequest({ method: 'POST', target: '/', body: new Body(source) });
    expect(req.trailers).toBeNull();
    await req.body.bytes();
    expect(req.trailers?.get('x-checksum')).toBe('abc');
  });

  it('reading the body twice is an RWS_CORE_BODY_USED error', async () => {
    const req = createRequest({ method: 'POST', target: '/', body: Body.from('x') });
    await req.body.text();
    await expect(req.body.text()).rejects.toSatisfy((e) => isRwsError(e, 'RWS_CORE_BODY_USED'));
  });
});
