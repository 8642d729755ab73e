import { isRwsError } from '@rws/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HTTP3_ERROR, type Http3Error } from '../src/errors.js';
import { type HeaderField, QpackDecoder } from '../src/qpack/qpack-decoder.js';
import { QpackEncoder } from '../src/qpack/qpack-encoder.js';

const hex = (s: string): Uint8Array => Buffer.from(s.replace(/\s+/g, ''), 'hex');
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

/**
 * An encoder and a decoder joined by their two instruction streams, each held in a queue so
 * a test decides when (and whether) instructions arrive, as packets on separate QUIC streams do.
 */
function pair(peerCapacity: number, blockedStreams: number, options = {}) {
  const toDecoder: Uint8Array[] = [];
  const toEncoder: Uint8Array[] = [];
  const encoder = new QpackEncoder({ onEncoderStream: (b) => toDecoder.push(b), ...options });
  const decoder = new QpackDecoder({
    maxTableCapacity: peerCapacity,
    maxBlockedStreams: blockedStreams,
    onDecoderStream: (b) => toEncoder.push(b),
  });
  encoder.configure(peerCapacity, blockedStreams);
  return {
    encoder,
    decoder,
    /** Delivers the encoder stream so far to the decoder. */
    instructions(): void {
      for (const bytes of toDecoder.splice(0)) decoder.onEncoderStream(bytes);
    },
    /** Delivers the decoder stream so far (acknowledgements) to the encoder. */
    acks(): void {
      for (const bytes of toEncoder.splice(0)) encoder.onDecoderStream(bytes);
    },
    toDecoder,
    toEncoder,
  };
}

function decoderStreamFailure(run: () => void): number {
  try {
    run();
  } catch (error) {
    expect(isRwsError(error, 'RWS_H3_QPACK_ERROR')).toBe(true);
    return (error as Http3Error).applicationCode;
  }
  throw new Error('expected a QPACK error');
}

describe('QPACK encoder with the dynamic table', { timeout: 60_000 }, () => {
  it('RFC 9204 B.2: inserts with static name references and refers to them post-base, byte for byte', async () => {
    const p = pair(220, 16, { huffman: false });
    const section = p.encoder.encode(
      [
        [':authority', 'www.example.com'],
        [':path', '/sample/path'],
      ],
      4,
    );
    // Set Dynamic Table Capacity 220, then the two insertions of B.2.
    expect(p.toDecoder.map(toHex).join('')).toBe(
      toHex(
        hex('3fbd01 c00f 7777 772e 6578 616d 706c 652e 636f 6d c10c 2f73 616d 706c 652f 7061 7468'),
      ),
    );
    expect(toHex(section)).toBe('03811011');
    expect(p.encoder.blockingStreams).toBe(1);
    // The decoder gets the section first: it blocks until the instructions come.
    const decoded = p.decoder.decode(4, section);
    p.instructions();
    expect(await decoded).toEqual([
      [':authority', 'www.example.com'],
      [':path', '/sample/path'],
    ]);
    // B.2's decoder answer, Section Acknowledgment 84 (ours is preceded by an increment).
    p.encoder.onDecoderStream(hex('84'));
    expect(p.encoder.knownReceivedCount).toBe(2);
    expect(p.encoder.blockingStreams).toBe(0);
    // The entries are acknowledged: the next section refers to them without blocking.
    const again = p.encoder.encode([[':authority', 'www.example.com']], 8);
    expect(p.toDecoder).toHaveLength(0);
    // Required Insert Count 1 (encoded 2), Base 2 (Delta 1), relative index 1.
    expect(toHex(again)).toBe('020181');
    expect(p.encoder.blockingStreams).toBe(0);
  });

  it('B.2 acknowledgements: increments beyond the insertions and acks of nothing are errors', () => {
    const p = pair(220, 16, { huffman: false });
    p.encoder.encode([[':authority', 'www.example.com']], 4);
    const { QPACK_DECODER_STREAM_ERROR } = HTTP3_ERROR;
    expect(decoderStreamFailure(() => p.encoder.onDecoderStream(hex('02')))).toBe(
      QPACK_DECODER_STREAM_ERROR,
    );
    expect(decoderStreamFailure(() => p.encoder.onDecoderStream(hex('00')))).toBe(
      QPACK_DECODER_STREAM_ERROR,
    );
    expect(decoderStreamFailure(() => p.encoder.onDecoderStream(hex('88')))).toBe(
      QPACK_DECODER_STREAM_ERROR,
    );
    // B.4's Stream Cancellation (48) of a stream with nothing pending is fine; of stream 4 it
    // releases the section, so the stream no longer counts as blocking.
    p.encoder.onDecoderStream(hex('48'));
    expect(p.encoder.blockingStreams).toBe(1);
    p.encoder.onDecoderStream(hex('44'));
    expect(p.encoder.blockingStreams).toBe(0);
    // And the Section Acknowledgment now has nothing to acknowledge.
    expect(decoderStreamFailure(() => p.encoder.onDecoderStream(hex('84')))).toBe(
      QPACK_DECODER_STREAM_ERROR,
    );
  });

  it('never inserts credentials and sends them as never-indexed literals', async () => {
    const p = pair(4096, 16);
    const fields: HeaderField[] = [
      ['authorization', 'Bearer secret-token'],
      ['cookie', 'session=abc'],
      ['x-custom', 'custom'],
    ];
    const section = p.encoder.encode(fields, 0);
    p.instructions();
    expect(await p.decoder.decode(0, section)).toEqual(fields);
    // Only x-custom went into the table.
    expect(p.encoder.table.insertCount).toBe(1);
    expect(p.decoder.table.entries()).toEqual([['x-custom', 'custom']]);
    // authorization is static entry 84: Literal With Name Reference, N and T set (0x70 | 0x0f, 69).
    expect(toHex(section).slice(4, 8)).toBe('7f45');
  });

  it('refuses a char above 0xFF before inserting or referencing anything', async () => {
    const p = pair(4096, 16);
    // Only the Set Dynamic Table Capacity of configure() so far.
    const instructions = p.toDecoder.length;
    const bad: HeaderField[] = [
      ['x-first', 'would be inserted'],
      ['x-second', 'caf\u0119'],
    ];
    let caught: unknown;
    try {
      p.encoder.encode(bad, 0);
    } catch (err) {
      caught = err;
    }
    expect(isRwsError(caught, 'RWS_CORE_INVALID_HEADER')).toBe(true);
    expect(p.encoder.table.insertCount).toBe(0);
    expect(p.toDecoder).toHaveLength(instructions);
    const good: HeaderField[] = [['x-first', 'would be inserted']];
    const section = p.encoder.encode(good, 4);
    p.instructions();
    expect(await p.decoder.decode(4, section)).toEqual(good);
  });

  it('with no blocked streams allowed, sections decode before any instruction arrives', async () => {
    const p = pair(4096, 0);
    const fields: HeaderField[] = [
      ['server', 'rws'],
      ['x-a', '1'],
    ];
    for (let i = 0; i < 3; i++) {
      const section = p.encoder.encode(fields, i * 4);
      // Resolves now: a blocked section with a limit of 0 would be QPACK_DECOMPRESSION_FAILED.
      expect(await p.decoder.decode(i * 4, section)).toEqual(fields);
      expect(p.encoder.blockingStreams).toBe(0);
    }
    // The insertions were made anyway; once acknowledged they are referenced.
    p.instructions();
    p.acks();
    expect(p.encoder.knownReceivedCount).toBe(2);
    const section = p.encoder.encode(fields, 12);
    expect(section.length).toBe(4);
    expect(await p.decoder.decode(12, section)).toEqual(fields);
  });

  it('never blocks more streams than SETTINGS_QPACK_BLOCKED_STREAMS', async () => {
    const p = pair(4096, 2);
    const sections: [number, Uint8Array, HeaderField[]][] = [];
    for (let i = 0; i < 5; i++) {
      const fields: HeaderField[] = [[`x-field-${i}`, `value-${i}`]];
      sections.push([i * 4, p.encoder.encode(fields, i * 4), fields]);
      expect(p.encoder.blockingStreams).toBeLessThanOrEqual(2);
    }
    // All five reach the decoder before any instruction: two block, three decode at once.
    const results = sections.map(([id, block]) => p.decoder.decode(id, block));
    expect(p.decoder.blockedStreams).toBe(2);
    p.instructions();
    for (let i = 0; i < 5; i++) expect(await results[i]).toEqual(sections[i]![2]);
  });

  it('evicts only acknowledged, unreferenced entries, and duplicates draining ones', async () => {
    // Ten 38-byte entries fill 380 of 400 bytes.
    const p = pair(400, 16);
    const field = (i: number): HeaderField => [`x-h${i}`, `v${i}`];
    const ten = Array.from({ length: 10 }, (_, i) => field(i));
    const first = p.encoder.encode(ten, 0);
    expect(p.encoder.table.insertCount).toBe(10);
    // Nothing is acknowledged, so nothing may be evicted: field 10 goes as a literal.
    const second = p.encoder.encode([field(10)], 4);
    expect(p.encoder.table.insertCount).toBe(10);
    p.instructions();
    expect(await p.decoder.decode(0, first)).toEqual(ten);
    expect(await p.decoder.decode(4, second)).toEqual([field(10)]);
    p.acks();
    expect(p.encoder.knownReceivedCount).toBe(10);
    // Entry 0 is acknowledged and unreferenced, and draining (the oldest quarter): it is
    // duplicated (instruction 09: relative index 9) rather than pinned where room is needed.
    const third = p.encoder.encode([field(0)], 8);
    expect(p.toDecoder.map(toHex)).toEqual(['09']);
    expect(p.encoder.table.insertCount).toBe(11);
    expect(p.encoder.table.get(0)).toBeUndefined();
    p.instructions();
    expect(await p.decoder.decode(8, third)).toEqual([field(0)]);
    expect(p.decoder.table.entries()).toEqual([...ten.slice(1), field(0)]);
  });

  it('round trips random header sets at random table sizes, limits and acknowledgement timing', async () => {
    const token = fc.stringMatching(/^[a-z][a-z0-9-]{0,12}$/);
    const value = fc.stringMatching(/^[\x20-\x7e\x80-\xff]{0,40}$/);
    // A small vocabulary so fields repeat across sections and the table gets used.
    const vocabulary = fc.array(fc.tuple(token, value), { minLength: 1, maxLength: 12 });
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 0, max: 1024 }),
        fc.integer({ min: 0, max: 4 }),
        vocabulary,
        fc.array(fc.tuple(fc.array(fc.nat(), { maxLength: 10 }), fc.nat(3)), {
          minLength: 1,
          maxLength: 12,
        }),
        async (capacity, blocked, words, plan) => {
          const p = pair(capacity, blocked);
          const waiting: [Promise<HeaderField[]>, HeaderField[]][] = [];
          for (let i = 0; i < plan.length; i++) {
            const [picks, timing] = plan[i]!;
            const fields = picks.map((n) => words[n % words.length]!);
            const section = p.encoder.encode(fields, i * 4);
            expect(p.encoder.blockingStreams).toBeLessThanOrEqual(blocked);
            // Timing: instructions before the section, after it, or later still; acks or not.
            if (timing === 0) p.instructions();
            waiting.push([p.decoder.decode(i * 4, section), fields]);
            if (timing === 1) p.instructions();
            if (timing !== 3) p.acks();
          }
          p.instructions();
          for (const [result, fields] of waiting) expect(await result).toEqual(fields);
          p.acks();
          expect(p.decoder.blockedStreams).toBe(0);
          expect(p.encoder.blockingStreams).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('inserts a new value under a name already in the table with a dynamic name reference', async () => {
    const p = pair(220, 16, { huffman: false });
    const first = p.encoder.encode([['custom-key', 'custom-value']], 0);
    // Set Dynamic Table Capacity 220, Insert With Literal Name (RFC 9204 B.3's bytes).
    expect(p.toDecoder.map(toHex).join('')).toBe(
      toHex(hex('3fbd01 4a63 7573 746f 6d2d 6b65 790c 6375 7374 6f6d 2d76 616c 7565')),
    );
    const d0 = p.decoder.decode(0, first);
    p.instructions();
    const second = p.encoder.encode([['custom-key', 'custom-value2']], 4);
    // Insert With Name Reference, T=0 (dynamic), relative index 0 — as in RFC 9204 B.4 — and
    // the new value: no second copy of the name on the encoder stream.
    expect(p.toDecoder.map(toHex).join('')).toBe(
      toHex(hex('80 0d 6375 7374 6f6d 2d76 616c 7565 32')),
    );
    const d1 = p.decoder.decode(4, second);
    p.instructions();
    expect(await d0).toEqual([['custom-key', 'custom-value']]);
    expect(await d1).toEqual([['custom-key', 'custom-value2']]);
    expect(p.decoder.table.insertCount).toBe(2);
    // A name the static table has still goes by static reference.
    p.encoder.encode([['user-agent', 'rws-test']], 8);
    expect(p.toDecoder.map(toHex).join('')).toMatch(/^ff/);
  });

  it('sends a value kept out of the table with a dynamic or post-base name reference', async () => {
    // A value over half the capacity is never inserted; its name, once in the table, is
    // referenced instead of sent again (RFC 9204 §4.5.4 with T=0, §4.5.5).
    const big = 'v'.repeat(150);
    const p = pair(220, 16, { huffman: false });
    const first = p.encoder.encode([['x-trace', 'a']], 0);
    p.instructions();
    expect(await p.decoder.decode(0, first)).toEqual([['x-trace', 'a']]);
    p.acks();
    const second = p.encoder.encode([['x-trace', big]], 4);
    expect(p.toDecoder).toHaveLength(0);
    // Required Insert Count 1 (02), Delta Base 0 (00); 0x40 | relative index 0; then the value
    // as a 150-byte literal (7f 17).
    expect(toHex(second).slice(0, 10)).toBe('0200407f17');
    expect(second.length).toBe(5 + big.length);
    expect(await p.decoder.decode(4, second)).toEqual([['x-trace', big]]);
    // In one section: x-new inserted post-base, then its name referenced post-base (00).
    const q = pair(220, 16, { huffman: false });
    const fields: HeaderField[] = [
      ['x-new', '1'],
      ['x-new', big],
    ];
    const section = q.encoder.encode(fields, 0);
    // Required Insert Count 1, Base 0 (sign bit, delta 0); post-base index 0; name ref 0.
    expect(toHex(section).slice(0, 12)).toBe('028010007f17');
    const decoded = q.decoder.decode(0, section);
    q.instructions();
    expect(await decoded).toEqual(fields);
    q.acks();
    expect(q.encoder.blockingStreams).toBe(0);
  });

  it('round trips many values under a few names, with evictions of referenced names', async () => {
    const name = fc.constantFrom('x-a', 'x-b', 'x-trace-name', 'accept');
    const value = fc.stringMatching(/^[\x20-\x7e]{0,30}$/);
    await fc.assert(
      fc.asyncProperty(
        fc.integer({ min: 64, max: 600 }),
        fc.array(fc.array(fc.tuple(name, value), { maxLength: 6 }), {
          minLength: 1,
          maxLength: 16,
        }),
        fc.boolean(),
        async (capacity, sections, ackEach) => {
          const p = pair(capacity, 4);
          const waiting: [Promise<HeaderField[]>, HeaderField[]][] = [];
          for (let i = 0; i < sections.length; i++) {
            const fields = sections[i]!;
            // Each section twice, so its values are inserted and then referenced.
            for (const j of [0, 1]) {
              const id = (2 * i + j) * 4;
              waiting.push([p.decoder.decode(id, p.encoder.encode(fields, id)), fields]);
              p.instructions();
              if (ackEach) p.acks();
            }
          }
          for (const [result, fields] of waiting) expect(await result).toEqual(fields);
          p.acks();
          expect(p.decoder.table.insertCount).toBe(p.encoder.table.insertCount);
        },
      ),
      { numRuns: 200 },
    );
  });
});
