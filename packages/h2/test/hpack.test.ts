import { isRwsError } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  HpackDecoder,
  HpackEncoder,
  huffmanDecode,
  huffmanEncode,
  huffmanEncodedLength,
} from '../src/index.js';

const hex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const ascii = (s: string): string => Buffer.from(s, 'latin1').toString('hex');

function expectCompressionError(fn: () => unknown, message: RegExp): void {
  let caught: unknown;
  try {
    fn();
  } catch (err) {
    caught = err;
  }
  expect(isRwsError(caught, 'RWS_H2_COMPRESSION_ERROR')).toBe(true);
  expect((caught as Error).message).toMatch(message);
}

describe('RFC 7541 Appendix C', () => {
  it('C.1 integer representation via size updates and indices', () => {
    // C.1.2: 1337 with a 5-bit prefix is 1f 9a 0a; as a table size update (001xxxxx).
    const d = new HpackDecoder({ maxTableSize: 4096 });
    expect(d.decode(hex('3f9a0a'))).toEqual([]);
    expectCompressionError(
      () => new HpackDecoder({ maxTableSize: 1000 }).decode(hex('3f9a0a')),
      /1337 above the limit 1000/,
    );
  });

  it('C.2.1 literal with indexing', () => {
    const d = new HpackDecoder();
    expect(
      d.decode(hex('400a 6375 7374 6f6d 2d6b 6579 0d63 7573 746f 6d2d 6865 6164 6572')),
    ).toEqual(['custom-key', 'custom-header']);
    expect(d.tableSize).toBe(55);
  });

  it('C.2.2 literal without indexing', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('040c 2f73 616d 706c 652f 7061 7468'))).toEqual([':path', '/sample/path']);
    expect(d.tableSize).toBe(0);
  });

  it('C.2.3 literal never indexed', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('1008 7061 7373 776f 7264 0673 6563 7265 74'))).toEqual([
      'password',
      'secret',
    ]);
    expect(d.tableSize).toBe(0);
  });

  it('C.2.4 indexed field', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('82'))).toEqual([':method', 'GET']);
  });

  const requests = [
    [':method', 'GET', ':scheme', 'http', ':path', '/', ':authority', 'www.example.com'],
    [
      ':method',
      'GET',
      ':scheme',
      'http',
      ':path',
      '/',
      ':authority',
      'www.example.com',
      'cache-control',
      'no-cache',
    ],
    [
      ':method',
      'GET',
      ':scheme',
      'https',
      ':path',
      '/index.html',
      ':authority',
      'www.example.com',
      'custom-key',
      'custom-value',
    ],
  ];

  it('C.3 requests without Huffman coding', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 0f77 7777 2e65 7861 6d70 6c65 2e63 6f6d'))).toEqual(requests[0]);
    expect(d.tableSize).toBe(57);
    expect(d.decode(hex('8286 84be 5808 6e6f 2d63 6163 6865'))).toEqual(requests[1]);
    expect(d.tableSize).toBe(110);
    expect(
      d.decode(hex('8287 85bf 400a 6375 7374 6f6d 2d6b 6579 0c63 7573 746f 6d2d 7661 6c75 65')),
    ).toEqual(requests[2]);
    expect(d.tableSize).toBe(164);
    expect(d.tableLength).toBe(3);
  });

  it('C.4 requests with Huffman coding', () => {
    const d = new HpackDecoder();
    expect(d.decode(hex('8286 8441 8cf1 e3c2 e5f2 3a6b a0ab 90f4 ff'))).toEqual(requests[0]);
    expect(d.tableSize).toBe(57);
    expect(d.decode(hex('8286 84be 5886 a8eb 1064 9cbf'))).toEqual(requests[1]);
    expect(d.tableSize).toBe(110);
    expect(d.decode(hex('8287 85bf 4088 25a8 49e9 5ba9 7d7f 8925 a849 e95b b8e8 b4bf'))).toEqual(
      requests[2],
    );
    expect(d.tableSize).toBe(164);
  });

  const date1 = 'Mon, 21 Oct 2013 20:13:21 GMT';
  const date2 = 'Mon, 21 Oct 2013 20:13:22 GMT';
  const cookie = 'foo=ASDJKHQKBZXOQWEOPIUAXQWEOIU; max-age=3600; version=1';
  const responses = [
    [
      ':status',
      '302',
      'cache-control',
      'private',
      'date',
      date1,
      'location',
      'https://www.example.com',
    ],
    [
      ':status',
      '307',
      'cache-control',
      'private',
      'date',
      date1,
      'location',
      'https://www.example.com',
    ],
    [
      ':status',
      '200',
      'cache-control',
      'private',
      'date',
      date2,
      'location',
      'https://www.example.com',
      'content-encoding',
      'gzip',
      'set-cookie',
      cookie,
    ],
  ];

  it('C.5 responses without Huffman coding, table size 256 (eviction)', () => {
    const d = new HpackDecoder({ maxTableSize: 256 });
    d.decode(hex('3f e1 01')); // size update to 256
    const lit = (s: string) =>
      (s.length < 127 ? s.length.toString(16).padStart(2, '0') : '') + ascii(s);
    const r1 = `4803${ascii('302')} 5807${ascii('private')} 611d${ascii(date1)} 6e17${ascii('https://www.example.com')}`;
    expect(d.decode(hex(r1))).toEqual(responses[0]);
    expect(d.tableSize).toBe(222);
    expect(d.decode(hex(`4803${ascii('307')} c1 c0 bf`))).toEqual(responses[1]);
    expect(d.tableSize).toBe(222);
    const r3 = `88 c1 61${lit(date2)} c0 5a04${ascii('gzip')} 77${lit(cookie)}`;
    expect(d.decode(hex(r3))).toEqual(responses[2]);
    expect(d.tableSize).toBe(215);
    expect(d.tableLength).toBe(3);
  });

  it('C.6 responses with Huffman coding, table size 256 (eviction)', () => {
    const d = new HpackDecoder({ maxTableSize: 256 });
    d.decode(hex('3f e1 01'));
    expect(
      d.decode(
        hex(
          '4882 6402 5885 aec3 771a 4b61 96d0 7abe 9410 54d4 44a8 2005 9504 0b81 66e0 82a6 2d1b ff6e 919d 29ad 1718 63c7 8f0b 97c8 e9ae 82ae 43d3',
        ),
      ),
    ).toEqual(responses[0]);
    expect(d.tableSize).toBe(222);
    expect(d.decode(hex('4883 640e ff c1 c0 bf'))).toEqual(responses[1]);
    expect(d.tableSize).toBe(222);
    expect(
      d.decode(
        hex(
          '88c1 6196 d07a be94 1054 d444 a820 0595 040b 8166 e084 a62d 1bff c05a 839b d9ab 77ad 94e7 821d d7f2 e6c7 b335 dfdf cd5b 3960 d5af 2708 7f36 72c1 ab27 0fb5 291f 9587 3160 65c0 03ed 4ee5 b106 3d50 07',
        ),
      ),
    ).toEqual(responses[2]);
    expect(d.tableSize).toBe(215);
  });

  it('C.4 Huffman strings encode to the RFC bytes', () => {
    const enc = (s: string) => {
      const src = Buffer.from(s, 'latin1');
      const dst = new Uint8Array(huffmanEncodedLength(src));
      expect(huffmanEncode(src, dst, 0)).toBe(dst.length);
      return Buffer.from(dst).toString('hex');
    };
    expect(enc('www.example.com')).toBe('f1e3c2e5f23a6ba0ab90f4ff');
    expect(enc('no-cache')).toBe('a8eb10649cbf');
    expect(enc('custom-key')).toBe('25a849e95ba97d7f');
    expect(enc('custom-value')).toBe('25a849e95bb8e8b4bf');
    expect(enc(cookie)).toBe(
      '94e7821dd7f2e6c7b335dfdfcd5b3960d5af27087f3672c1ab270fb5291f9587316065c003ed4ee5b1063d5007',
    );
  });
});

describe('Huffman', () => {
  it('round-trips every octet value', () => {
    const all = new Uint8Array(256).map((_, i) => i);
    const dst = new Uint8Array(huffmanEncodedLength(all));
    huffmanEncode(all, dst, 0);
    expect(huffmanDecode(dst, 0, dst.length)).toBe(Buffer.from(all).toString('latin1'));
  });

  it('round-trips random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 200 }), (bytes) => {
        const dst = new Uint8Array(huffmanEncodedLength(bytes));
        huffmanEncode(bytes, dst, 0);
        expect(huffmanDecode(dst, 0, dst.length)).toBe(Buffer.from(bytes).toString('latin1'));
      }),
    );
  });

  it('refuses padding longer than 7 bits, padding with a zero bit, and EOS', () => {
    // 'a' is 00011 (5 bits): 0x1f pads with 3 ones (valid); a whole 0xff byte more is 8+ bits.
    expect(huffmanDecode(hex('1f'), 0, 1)).toBe('a');
    expect(huffmanDecode(hex('1fff'), 0, 2)).toBeNull();
    // Padding 110 instead of 111.
    expect(huffmanDecode(hex('1e'), 0, 1)).toBeNull();
    // EOS itself (30 ones) inside the string.
    expect(huffmanDecode(hex('ffffffff'), 0, 4)).toBeNull();
  });
});

describe('bombs', () => {
  it('refuses a dynamic table size update above the advertised limit', () => {
    expectCompressionError(() => new HpackDecoder().decode(hex('3fe21f')), /above the limit 4096/);
  });

  it('refuses a size update after the first field', () => {
    expectCompressionError(() => new HpackDecoder().decode(hex('82 20')), /after a field/);
  });

  it('drops a header list above maxHeaderListSize, yet keeps the table in step', () => {
    const e = new HpackEncoder();
    const big = e.encode(['x-a', 'a'.repeat(600), 'x-b', 'b'.repeat(600)]);
    const d = new HpackDecoder({ maxHeaderListSize: 1000 });
    expect(d.decode(big)).toEqual([]);
    expect(d.isListTooLarge).toBe(true);
    // The next block refers to the entries the dropped one added.
    const next = e.encode(['x-a', 'a'.repeat(600)]);
    expect(next.length).toBe(1);
    expect(d.decode(next)).toEqual(['x-a', 'a'.repeat(600)]);
    expect(d.isListTooLarge).toBe(false);
  });

  it('refuses indices beyond the tables, truncated input and huge integers', () => {
    expectCompressionError(() => new HpackDecoder().decode(hex('80')), /index 0/);
    expectCompressionError(() => new HpackDecoder().decode(hex('be')), /index 62 beyond/);
    expectCompressionError(
      () => new HpackDecoder().decode(hex('400a 6375')),
      /longer than the block/,
    );
    expectCompressionError(
      () => new HpackDecoder().decode(hex('ff ff ff ff ff ff 01')),
      /integer too large/,
    );
    expectCompressionError(() => new HpackDecoder().decode(hex('ff 80')), /truncated integer/);
  });
});

describe('encoder', () => {
  const name = fc.stringMatching(/^[a-z0-9-]{1,20}$/);
  const value = fc.string({
    maxLength: 80,
    unit: fc.integer({ min: 0x20, max: 0xff }).map((c) => String.fromCharCode(c)),
  });

  it('round-trips random header sets through one encoder/decoder pair, including table resizes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.tuple(
            fc.array(fc.tuple(name, value), { maxLength: 12 }),
            fc.option(fc.integer({ min: 0, max: 4096 })),
          ),
          {
            maxLength: 12,
          },
        ),
        (blocks) => {
          const e = new HpackEncoder();
          const d = new HpackDecoder();
          for (const [fields, resize] of blocks) {
            if (resize !== null) e.setMaxTableSize(resize);
            const flat = fields.flat();
            expect(d.decode(e.encode(flat))).toEqual(flat);
            expect(d.tableSize).toBeLessThanOrEqual(resize ?? 4096);
          }
        },
      ),
    );
  });

  it('indexes repeated fields and never indexes credentials', () => {
    const e = new HpackEncoder();
    e.encode(['content-type', 'text/html', 'set-cookie', 'a=1']);
    const again = e.encode(['content-type', 'text/html', 'set-cookie', 'a=1']);
    // One byte for the indexed content-type; set-cookie is a never-indexed literal (0001xxxx).
    expect(again[0]).toBe(0xbe);
    expect(again[1]! & 0xf0).toBe(0x10);
  });

  it('refuses a char above 0xFF before touching the dynamic table', () => {
    const e = new HpackEncoder();
    const d = new HpackDecoder();
    e.setMaxTableSize(2048);
    const bad = ['x-a', 'kept', 'x-b', 'caf\u0119'];
    expect(() => e.encode(bad)).toThrow(/x-b value has the character U\+0119/);
    expect(() => e.encode(['x-\u0101', 'v'])).toThrow(/header name has the character U\+0101/);
    // Nothing of the refused blocks was indexed and the size update is still pending: the
    // next block decodes to the same fields on a fresh decoder.
    const next = ['x-a', 'kept', 'x-b', 'caf\u00e9'];
    expect(d.decode(e.encode(next))).toEqual(next);
    expect(d.decode(e.encode(next))).toEqual(next);
  });
});
