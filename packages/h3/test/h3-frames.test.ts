import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { HTTP3_ERROR, type Http3Error } from '../src/errors.js';
import { type FrameEvent, FrameReader } from '../src/http3/frame-reader.js';
import {
  encodeFrame,
  encodeVarints,
  FRAME,
  parseSettings,
  parseSingleVarint,
} from '../src/http3/frames.js';

/** Frames and DATA pieces, with DATA pieces joined per frame for comparison. */
function collect(reader: FrameReader, chunks: Uint8Array[]): [string, string][] {
  const out: [string, string][] = [];
  for (const chunk of chunks) {
    for (const e of reader.push(chunk) as FrameEvent[]) {
      const hex = Buffer.from(e.kind === 'data' ? e.chunk : e.payload).toString('hex');
      const last = out.at(-1);
      if (e.kind === 'data' && last?.[0] === 'data') last[1] += hex;
      else out.push([e.kind === 'data' ? 'data' : `frame ${e.type}`, hex]);
    }
  }
  return out;
}

function h3Code(run: () => unknown): number {
  try {
    run();
  } catch (error) {
    return (error as Http3Error).applicationCode;
  }
  throw new Error('expected an HTTP/3 error');
}

// GREASE frame types are 0x1f * N + 0x21 (RFC 9114 §7.2.8).
const GREASE = 0x1f * 3 + 0x21;
const stream = Buffer.concat([
  encodeFrame(FRAME.HEADERS, Buffer.from('0000d1', 'hex')),
  encodeFrame(GREASE, Buffer.from('grease payload')),
  encodeFrame(FRAME.DATA, Buffer.from('hello ')),
  encodeFrame(0x0c, new Uint8Array(0)), // unassigned type, empty
  encodeFrame(FRAME.DATA, Buffer.from('world')),
  encodeFrame(FRAME.HEADERS, Buffer.from('0000', 'hex')),
]);
const expected: [string, string][] = [
  ['frame 1', '0000d1'],
  ['data', Buffer.from('hello world').toString('hex')],
  ['frame 1', '0000'],
];

describe('HTTP/3 frame reader (RFC 9114 §7.1)', () => {
  it('skips unknown and GREASE frames and passes DATA on', () => {
    const reader = new FrameReader();
    expect(collect(reader, [stream])).toEqual(expected);
    expect(reader.isAtBoundary).toBe(true);
  });

  it('gives the same frames at every split point and in random chunks', () => {
    for (let split = 1; split < stream.length; split++) {
      const reader = new FrameReader();
      expect(collect(reader, [stream.subarray(0, split), stream.subarray(split)])).toEqual(
        expected,
      );
    }
    fc.assert(
      fc.property(
        fc.array(fc.integer({ min: 1, max: stream.length }), { maxLength: 10 }),
        (cuts) => {
          const points = [...new Set(cuts)].sort((a, b) => a - b);
          const chunks: Uint8Array[] = [];
          let at = 0;
          for (const p of points) {
            chunks.push(stream.subarray(at, p));
            at = p;
          }
          chunks.push(stream.subarray(at));
          expect(collect(new FrameReader(), chunks)).toEqual(expected);
        },
      ),
    );
  });

  it('knows when a stream ends inside a frame', () => {
    const reader = new FrameReader();
    reader.push(stream.subarray(0, 4));
    expect(reader.isAtBoundary).toBe(false);
  });

  it('refuses reserved HTTP/2 frame types and oversized control frames', () => {
    for (const type of [0x02, 0x06, 0x08, 0x09]) {
      expect(h3Code(() => new FrameReader().push(encodeFrame(type, new Uint8Array(1))))).toBe(
        HTTP3_ERROR.H3_FRAME_UNEXPECTED,
      );
    }
    const big = encodeFrame(FRAME.HEADERS, new Uint8Array(2000));
    expect(h3Code(() => new FrameReader(1000).push(big))).toBe(HTTP3_ERROR.H3_EXCESSIVE_LOAD);
    // DATA of any size streams through; unknown frames of any size are skipped.
    expect(
      collect(new FrameReader(1000), [encodeFrame(FRAME.DATA, new Uint8Array(5000))])[0]?.[0],
    ).toBe('data');
    expect(collect(new FrameReader(1000), [encodeFrame(GREASE, new Uint8Array(5000))])).toEqual([]);
  });
});

describe('SETTINGS and single-varint frames (RFC 9114 §7.2.4)', () => {
  it('parses settings, keeping unknown identifiers', () => {
    const settings = parseSettings(encodeVarints([0x01, 4096, 0x07, 16, 0x21, 99]));
    expect([...settings]).toEqual([
      [0x01, 4096],
      [0x07, 16],
      [0x21, 99],
    ]);
  });

  it('refuses repeated and HTTP/2 settings, and truncated pairs', () => {
    expect(h3Code(() => parseSettings(encodeVarints([0x01, 1, 0x01, 2])))).toBe(
      HTTP3_ERROR.H3_SETTINGS_ERROR,
    );
    for (const id of [0x02, 0x03, 0x04, 0x05]) {
      expect(h3Code(() => parseSettings(encodeVarints([id, 1])))).toBe(
        HTTP3_ERROR.H3_SETTINGS_ERROR,
      );
    }
    expect(h3Code(() => parseSettings(encodeVarints([0x01])))).toBe(HTTP3_ERROR.H3_FRAME_ERROR);
    expect(h3Code(() => parseSettings(Uint8Array.of(0x01, 0x40)))).toBe(HTTP3_ERROR.H3_FRAME_ERROR);
  });

  it('GOAWAY and MAX_PUSH_ID carry exactly one varint', () => {
    expect(parseSingleVarint(encodeVarints([1000]), 'GOAWAY')).toBe(1000);
    expect(h3Code(() => parseSingleVarint(encodeVarints([1, 2]), 'GOAWAY'))).toBe(
      HTTP3_ERROR.H3_FRAME_ERROR,
    );
    expect(h3Code(() => parseSingleVarint(Uint8Array.of(0x40), 'GOAWAY'))).toBe(
      HTTP3_ERROR.H3_FRAME_ERROR,
    );
  });
});
