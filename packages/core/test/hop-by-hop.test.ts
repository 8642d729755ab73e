import { describe, expect, it } from 'vitest';
import {
  Headers,
  HOP_BY_HOP_HEADERS,
  hopByHopFields,
  isHopByHopHeader,
  toWebResponse,
  withoutHopByHop,
} from '../src/index.js';

describe('hop-by-hop fields (RFC 9110 §7.6.1)', () => {
  it('lists the fields that never cross an intermediary', () => {
    expect([...HOP_BY_HOP_HEADERS].sort()).toEqual([
      'connection',
      'keep-alive',
      'proxy-authenticate',
      'proxy-authorization',
      'proxy-connection',
      'te',
      'trailer',
      'transfer-encoding',
      'upgrade',
    ]);
  });

  it('adds the fields named in Connection, across repeated lines and odd spacing', () => {
    const headers = new Headers([
      ['connection', 'close, X-Secret'],
      ['connection', ' x-other ,,'],
    ]);
    const fields = hopByHopFields(headers);
    expect(fields.has('x-secret')).toBe(true);
    expect(fields.has('x-other')).toBe(true);
    expect(fields.has('close')).toBe(true);
    expect(fields.has('')).toBe(false);
    expect(fields.has('x-kept')).toBe(false);
  });

  it('isHopByHopHeader answers as HOP_BY_HOP_HEADERS.has does', () => {
    for (const name of HOP_BY_HOP_HEADERS) expect(isHopByHopHeader(name)).toBe(true);
    for (const name of ['', 'host', 'accept', 'user-agent', 'x-forwarded-host', 'close', 'Te'])
      expect(isHopByHopHeader(name)).toBe(false);
  });

  it('a Connection naming only fixed hop-by-hop fields adds nothing (the shared set)', () => {
    for (const value of [
      'keep-alive',
      'Keep-Alive',
      ' upgrade ,\tKEEP-ALIVE',
      'te, trailers',
      '',
    ]) {
      const fields = hopByHopFields(new Headers([['connection', value]]));
      if (value === 'te, trailers') {
        // `trailers` is not a fixed field: it is added like any other option.
        expect(fields.has('trailers')).toBe(true);
      } else {
        expect(fields).toBe(HOP_BY_HOP_HEADERS);
      }
    }
    expect(hopByHopFields(new Headers())).toBe(HOP_BY_HOP_HEADERS);
  });

  it('Connection: close makes a field named close hop-by-hop, in any case and spacing', () => {
    for (const value of ['close', 'Close', 'keep-alive, CLOSE ']) {
      const fields = hopByHopFields(new Headers([['connection', value]]));
      expect(fields.has('close')).toBe(true);
      expect(fields.has('keep-alive')).toBe(true);
      expect(fields.has('x-kept')).toBe(false);
      expect(
        withoutHopByHop(
          new Headers([
            ['connection', value],
            ['close', '1'],
            ['x-kept', '2'],
          ]),
        ).toList(),
      ).toEqual(['x-kept', '2']);
    }
  });

  it('an option that only looks like a fixed field is added as it is', () => {
    const fields = hopByHopFields(new Headers([['connection', 'keep-alivex, closed, x\u00a0']]));
    expect(fields.has('keep-alivex')).toBe(true);
    expect(fields.has('closed')).toBe(true);
    expect(fields.has('x')).toBe(true);
  });

  it('withoutHopByHop keeps end-to-end fields (repeated ones too) and drops the rest', () => {
    const headers = new Headers([
      ['connection', 'x-secret'],
      ['x-secret', '1'],
      ['te', 'trailers'],
      ['upgrade', 'websocket'],
      ['proxy-authorization', 'Basic eA=='],
      ['set-cookie', 'a=1'],
      ['set-cookie', 'b=2'],
      ['x-kept', 'yes'],
    ]);
    const out = withoutHopByHop(headers);
    expect(out.toList()).toEqual(['set-cookie', 'a=1', 'set-cookie', 'b=2', 'x-kept', 'yes']);
    // The input is untouched.
    expect(headers.get('x-secret')).toBe('1');
  });

  it('the Web adapter drops the same fields, including those named in Connection', () => {
    const headers = new Headers([
      ['connection', 'x-secret'],
      ['x-secret', '1'],
      ['trailer', 'x-t'],
      ['x-kept', 'yes'],
    ]);
    const web = toWebResponse({ status: 200, headers, body: 'x' });
    expect(web.headers.has('x-secret')).toBe(false);
    expect(web.headers.has('trailer')).toBe(false);
    expect(web.headers.get('x-kept')).toBe('yes');
  });
});
