import { describe, expect, it } from 'vitest';
import {
  Headers,
  HOP_BY_HOP_HEADERS,
  hopByHopFields,
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
