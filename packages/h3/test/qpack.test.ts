import { isRwsError } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HTTP3_ERROR, Http3Error } from '../src/errors.js';
import { DynamicTable, entrySize } from '../src/qpack/dynamic-table.js';
import { type HeaderField, QpackDecoder } from '../src/qpack/qpack-decoder.js';
import { QpackEncoder } from '../src/qpack/qpack-encoder.js';
import { QpackWriter } from '../src/qpack/qpack-writer.js';
import { STATIC_TABLE } from '../src/qpack/static-table.js';

const hex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/** A decoder whose decoder-stream output is collected as hex. */
function decoderWith(maxTableCapacity: number, maxBlockedStreams = 16) {
  const sent: string[] = [];
  const decoder = new QpackDecoder({
    maxTableCapacity,
    maxBlockedStreams,
    onDecoderStream: (bytes) => sent.push(toHex(bytes)),
  });
  return { decoder, sent };
}

async function qpackFailure(promise: Promise<unknown>): Promise<number> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isRwsError(error, 'RWS_H3_QPACK_ERROR')).toBe(true);
  return (error as Http3Error).applicationCode;
}

function syncFailure(run: () => void): number {
  try {
    run();
  } catch (error) {
    expect(isRwsError(error, 'RWS_H3_QPACK_ERROR')).toBe(true);
    return (error as Http3Error).applicationCode;
  }
  throw new Error('expected a QPACK error');
}

describe('RFC 9204 Appendix B', () => {
  it('has the 99 static entries of Appendix A', () => {
    expect(STATIC_TABLE).toHaveLength(99);
    expect(STATIC_TABLE[17]).toEqual([':method', 'GET']);
    expect(STATIC_TABLE[98]).toEqual(['x-frame-options', 'sameorigin']);
  });

  it('B.1: literal field line with a static name reference (decoded, and encoded byte for byte)', async () => {
    const { decoder, sent } = decoderWith(220);
    const block = hex('0000 510b 2f69 6e64 6578 2e68 746d 6c');
    expect(await decoder.decode(0, block)).toEqual([[':path', '/index.html']]);
    expect(sent).toEqual([]);
    // Our encoder picks the same representation with the value Huffman-coded, as it is shorter
    // (RFC 7541 C.4.1 gives "/index.html" as 60d5 485f 2bce 9a68).
    expect(toHex(new QpackEncoder().encode([[':path', '/index.html']], 0))).toBe(
      '0000518860d5485f2bce9a68',
    );
  });

  it('B.2–B.5: dynamic table, post-base references, speculative insert, duplicate, cancellation, eviction', async () => {
    const { decoder, sent } = decoderWith(220);
    // B.2: capacity 220 and two insertions with static name references.
    decoder.onEncoderStream(
      hex('3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468'),
    );
    expect(decoder.table.capacity).toBe(220);
    expect(decoder.table.size).toBe(106);
    expect(decoder.table.insertCount).toBe(2);
    expect(await decoder.decode(4, hex('0381 10 11'))).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/sample/path'],
    ]);
    // We acknowledge insertions eagerly (Insert Count Increment 2), then the section (84).
    expect(sent.splice(0)).toEqual(['02', '84']);

    // B.3: speculative insert with a literal name; the decoder answers Insert Count Increment 1.
    decoder.onEncoderStream(hex('4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565'));
    expect(decoder.table.size).toBe(160);
    expect(sent.splice(0)).toEqual(['01']);

    // B.4: the section of stream 8 needs the duplicate, whose packet is late: the stream blocks,
    // is cancelled (Stream Cancellation 48), and then the duplicate arrives (increment 01).
    const blocked = decoder.decode(8, hex('0500 80 c1 81'));
    expect(decoder.blockedStreams).toBe(1);
    decoder.cancelStream(8);
    expect(isRwsError(await blocked.catch((e: unknown) => e), 'RWS_H3_STREAM_RESET')).toBe(true);
    decoder.onEncoderStream(hex('02'));
    expect(decoder.table.size).toBe(217);
    expect(decoder.table.get(3)).toEqual([':authority', 'www.example.com']);
    expect(sent.splice(0)).toEqual(['48', '01']);

    // B.5: insertion with a dynamic name reference evicts the oldest entry.
    decoder.onEncoderStream(hex('810d 6375 7374 6f6d 2d76 616c 7565 32'));
    expect(decoder.table.size).toBe(215);
    expect(decoder.table.entries()).toEqual([
      [':path', '/sample/path'],
      ['custom-key', 'custom-value'],
      [':authority', 'www.example.com'],
      ['custom-key', 'custom-value2'],
    ]);
    expect(decoder.table.get(0)).toBeUndefined();
  });

  it('B.4 without the cancellation: the blocked section is decoded when the duplicate arrives', async () => {
    const { decoder, sent } = decoderWith(220);
    decoder.onEncoderStream(
      hex('3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468'),
    );
    decoder.onEncoderStream(hex('4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565'));
    sent.length = 0;
    const section = decoder.decode(8, hex('0500 80 c1 81'));
    // Split inside nothing: one byte, the Duplicate instruction.
    decoder.onEncoderStream(hex('02'));
    expect(await section).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/'],
      ['custom-key', 'custom-value'],
    ]);
    // The Section Acknowledgment also acknowledges the insertion: no increment follows.
    expect(sent).toEqual(['88']);
  });

  it('accepts encoder instructions split at every byte', () => {
    const stream = hex(
      '3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468 4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565 02',
    );
    for (let split = 1; split < stream.length; split++) {
      const { decoder } = decoderWith(220);
      decoder.onEncoderStream(stream.subarray(0, split));
      decoder.onEncoderStream(stream.subarray(split));
      expect(decoder.table.insertCount).toBe(4);
      expect(decoder.table.size).toBe(217);
    }
  });
});

/**
 * A test-only encoder that uses the dynamic table as much as it can: every field it can fit is
 * inserted (literal name) and referenced, alternating normal and post-base indices.
 */
function dynamicEncode(
  table: DynamicTable,
  capacity: number,
  fields: readonly HeaderField[],
): { instructions: Uint8Array; section: Uint8Array } {
  const enc = new QpackWriter();
  if (table.capacity !== capacity) {
    enc.int(0x20, 5, capacity);
    table.setCapacity(capacity);
  }
  const base = table.insertCount;
  const lines = new QpackWriter();
  let largest = -1;
  // Entries this section refers to must not be evicted before the decoder reads it.
  let pinned = 0;
  for (const [name, value] of fields) {
    if (pinned + entrySize(name, value) <= capacity) {
      pinned += entrySize(name, value);
      enc.string(0x40, 5, name).string(0, 7, value);
      table.insert(name, value);
      const absolute = table.insertCount - 1;
      lines.int(0x10, 4, absolute - base); // post-base
      largest = absolute;
    } else {
      lines.string(0x20, 3, name).string(0, 7, value);
    }
  }
  // MaxEntries comes from the decoder's announced maximum capacity (4096), not the current one.
  const maxEntries = 4096 / 32;
  const ric = largest + 1;
  const prefix = new QpackWriter();
  if (ric === 0) prefix.int(0, 8, 0).int(0, 7, 0);
  else prefix.int(0, 8, (ric % (2 * maxEntries)) + 1).int(0x80, 7, ric - base - 1);
  return {
    instructions: enc.finish(),
    section: Buffer.concat([prefix.finish(), lines.finish()]),
  };
}

const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,20}$/);
const value = fc.stringMatching(/^[\x20-\x7e\x80-\xff]{0,60}$/);
const headerSet = fc.array(fc.tuple(token, value), { maxLength: 20 });

describe('round trips', () => {
  it('our encoder → our decoder keeps random header sets, in order', async () => {
    const encoder = new QpackEncoder();
    const { decoder } = decoderWith(0);
    await fc.assert(
      fc.asyncProperty(headerSet, async (fields) => {
        const section = encoder.encode(fields, 0);
        expect(await decoder.decode(0, section)).toEqual(fields);
      }),
      { numRuns: 300 },
    );
    // Static entries and static names come out as indices, not literals.
    expect(toHex(encoder.encode([[':method', 'GET']], 0))).toBe('0000d1');
  });

  it('the dynamic-table decoder keeps random header sets at random table sizes, with delayed instructions', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 64, max: 4096 }),
        fc.array(headerSet, { minLength: 1, maxLength: 6 }),
        async (capacity, sets) => {
          const { decoder } = decoderWith(4096);
          const mirror = new DynamicTable();
          for (let i = 0; i < sets.length; i++) {
            const fields = sets[i]!;
            const { instructions, section } = dynamicEncode(mirror, capacity, fields);
            // The section arrives before the instructions: it blocks, then resolves.
            const decoded = decoder.decode(i * 4, section);
            decoder.onEncoderStream(instructions);
            expect(await decoded).toEqual(fields);
          }
          expect(decoder.blockedStreams).toBe(0);
        },
      ),
      { numRuns: 100 },
    );
  });
});

describe('attacks and malformed input', () => {
  const { QPACK_DECOMPRESSION_FAILED, QPACK_ENCODER_STREAM_ERROR, QPACK_DECODER_STREAM_ERROR } =
    HTTP3_ERROR;

  it('a static index beyond the table is QPACK_DECOMPRESSION_FAILED', async () => {
    const { decoder } = decoderWith(0);
    expect(await qpackFailure(decoder.decode(0, hex('0000 ff24')))).toBe(
      QPACK_DECOMPRESSION_FAILED,
    );
  });

  it('a huge integer is refused without looping', async () => {
    const { decoder } = decoderWith(0);
    const huge = hex(`0000 ff${'ff'.repeat(20)}01`);
    expect(await qpackFailure(decoder.decode(0, huge))).toBe(QPACK_DECOMPRESSION_FAILED);
  });

  it('a dynamic reference with no dynamic table, a truncated section and bad Huffman all fail', async () => {
    const { decoder } = decoderWith(0);
    expect(await qpackFailure(decoder.decode(0, hex('0200 80')))).toBe(QPACK_DECOMPRESSION_FAILED);
    expect(await qpackFailure(decoder.decode(0, hex('0000 510b 2f69')))).toBe(
      QPACK_DECOMPRESSION_FAILED,
    );
    expect(await qpackFailure(decoder.decode(0, hex('00')))).toBe(QPACK_DECOMPRESSION_FAILED);
    // Huffman string whose padding is not all ones.
    expect(await qpackFailure(decoder.decode(0, hex('0000 5181 00')))).toBe(
      QPACK_DECOMPRESSION_FAILED,
    );
  });

  it('a Required Insert Count above the needed one, or a reference at or past it, fails', async () => {
    const { decoder } = decoderWith(220);
    decoder.onEncoderStream(
      hex('3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468'),
    );
    // RIC 2 but only entry 0 is referenced.
    expect(await qpackFailure(decoder.decode(4, hex('0382 81')))).toBe(QPACK_DECOMPRESSION_FAILED);
    // RIC 1 (Base 1) with a post-base reference to entry 1.
    expect(await qpackFailure(decoder.decode(4, hex('0200 10')))).toBe(QPACK_DECOMPRESSION_FAILED);
    // Encoded RIC beyond 2 * MaxEntries.
    expect(await qpackFailure(decoder.decode(4, hex('0e00')))).toBe(QPACK_DECOMPRESSION_FAILED);
    // Negative Base.
    expect(await qpackFailure(decoder.decode(4, hex('0285')))).toBe(QPACK_DECOMPRESSION_FAILED);
  });

  it('one blocked stream too many is QPACK_DECOMPRESSION_FAILED', async () => {
    const { decoder } = decoderWith(220, 1);
    decoder.onEncoderStream(hex('3fbd01'));
    const first = decoder.decode(0, hex('0200 80'));
    expect(await qpackFailure(decoder.decode(4, hex('0200 80')))).toBe(QPACK_DECOMPRESSION_FAILED);
    decoder.cancelStream(0);
    await first.catch(() => {});
  });

  it('table capacity abuse on the encoder stream is QPACK_ENCODER_STREAM_ERROR', () => {
    // Capacity above the maximum we announced.
    expect(syncFailure(() => decoderWith(220).decoder.onEncoderStream(hex('3fbe01')))).toBe(
      QPACK_ENCODER_STREAM_ERROR,
    );
    // An entry larger than the capacity (capacity 40, entry 10 + 15 + 32).
    const { decoder } = decoderWith(220);
    decoder.onEncoderStream(hex('3f09'));
    expect(
      syncFailure(() => decoder.onEncoderStream(hex('c00f 7777 772e 6578 616d 706c 652e 636f 6d'))),
    ).toBe(QPACK_ENCODER_STREAM_ERROR);
    // A string longer than any entry could be is refused before its bytes arrive.
    expect(
      syncFailure(() => decoderWith(220).decoder.onEncoderStream(hex('3fbd01 c07f ff7f'))),
    ).toBe(QPACK_ENCODER_STREAM_ERROR);
    // Duplicate or name reference of an entry that does not exist.
    expect(syncFailure(() => decoderWith(220).decoder.onEncoderStream(hex('3fbd01 00')))).toBe(
      QPACK_ENCODER_STREAM_ERROR,
    );
    expect(syncFailure(() => decoderWith(220).decoder.onEncoderStream(hex('3fbd01 ff2a 00')))).toBe(
      QPACK_ENCODER_STREAM_ERROR,
    );
  });

  it('the conservative encoder refuses acknowledgements of sections it never sent', () => {
    expect(syncFailure(() => new QpackEncoder().onDecoderStream(hex('84')))).toBe(
      QPACK_DECODER_STREAM_ERROR,
    );
    expect(syncFailure(() => new QpackEncoder().onDecoderStream(hex('01')))).toBe(
      QPACK_DECODER_STREAM_ERROR,
    );
    // Stream Cancellation is fine, even split.
    const encoder = new QpackEncoder();
    encoder.onDecoderStream(hex('7f'));
    encoder.onDecoderStream(hex('05 48'));
  });

  it('random bytes never throw anything but a QPACK or HTTP/3 error', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ maxLength: 64 }),
        fc.uint8Array({ maxLength: 64 }),
        async (instr, block) => {
          const { decoder } = decoderWith(256, 2);
          try {
            decoder.onEncoderStream(instr);
          } catch (error) {
            expect(error).toBeInstanceOf(Http3Error);
          }
          const result = await Promise.race([
            decoder.decode(0, block).then(
              () => 'ok',
              (e: unknown) => e,
            ),
            Promise.resolve('blocked'),
          ]);
          if (result !== 'ok' && result !== 'blocked') expect(result).toBeInstanceOf(Http3Error);
          decoder.cancelStream(0);
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('obs-text octets (byte-string rule, RFC 9110 §5.5)', () => {
  it('writes each char 0x80–0xFF of a value as its octet and reads it back', async () => {
    const obs = `a${Array.from({ length: 128 }, (_, i) => String.fromCharCode(0x80 + i)).join('')}z`;
    const section = new QpackEncoder().encode([['x-obs', obs]], 0);
    // Huffman codes of these octets are longer than 8 bits, so the literal is the raw octets.
    expect(Buffer.from(section).includes(Buffer.from(obs, 'latin1'))).toBe(true);
    const { decoder } = decoderWith(0, 0);
    expect(await decoder.decode(0, section)).toEqual([['x-obs', obs]]);
  });
});
