/**
 * Header values are byte strings (RFC 9110 §5.5 obs-text; HPACK string literals are octets,
 * RFC 7541 §5.2): octets 0x80–0xFF reach the handler as one char each and go back out as the
 * same octets, Huffman-coded or not, with node:http2 (nghttp2) as the peer.
 */
import { Headers, isRwsError } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { Http2Server } from '../src/index.js';
import { request, session, startH2c } from './helpers.js';

const OBS = `a${Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('')}z`;

describe('obs-text header bytes over HTTP/2 (byte-string rule)', () => {
  it('keeps every octet 0x80–0xFF in a request and a response value', async () => {
    let seen: string | null = null;
    const { port } = await startH2c((req) => {
      seen = req.headers.get('x-obs');
      return {
        status: 200,
        headers: new Headers({ 'x-obs': OBS, 'x-e': 'caf\u00e9' }),
        body: 'ok',
      };
    });
    const s = session(port);
    // node:http2 sends a string value as Latin-1 octets and reads them back the same way.
    const res = await request(s, { ':path': '/', 'x-obs': OBS });
    expect(res.status).toBe(200);
    expect(seen).toBe(OBS);
    expect(res.headers['x-obs']).toBe(OBS);
    expect(Buffer.from(res.headers['x-e'] as string, 'latin1')).toEqual(
      Buffer.from([0x63, 0x61, 0x66, 0xe9]),
    );
  });

  it('sends a serverHeader byte for byte, and refuses one above 0xFF when the server is made', async () => {
    // Responses are encoded without a per-field check (their fields come from core Headers),
    // so the one field taken from options is checked once, up front.
    const { port } = await startH2c(() => ({ status: 204, headers: new Headers(), body: null }), {
      serverHeader: 'rws caf\u00e9',
    });
    const res = await request(session(port), { ':path': '/' });
    expect(res.status).toBe(204);
    expect(Buffer.from(res.headers['server'] as string, 'latin1')).toEqual(
      Buffer.from('rws caf\xe9', 'latin1'),
    );
    // U+0141 written as one octet would have gone out as "A".
    const make = (serverHeader: string): unknown => {
      try {
        new Http2Server(() => ({ status: 204, headers: new Headers(), body: null }), {
          serverHeader,
        });
      } catch (err) {
        return err;
      }
      return undefined;
    };
    expect(isRwsError(make('rws \u0141'), 'RWS_CORE_INVALID_HEADER')).toBe(true);
    expect(isRwsError(make('rws\r\nx-injected: 1'), 'RWS_CORE_INVALID_HEADER')).toBe(true);
  });
});
