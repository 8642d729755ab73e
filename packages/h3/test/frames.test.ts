import { isRwsError } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { QuicError, TRANSPORT_ERROR } from '../src/errors.js';
import { ByteWriter } from '../src/quic/byte-writer.js';
import { parseFrames } from '../src/quic/frame-parser.js';
import { writeFrame } from '../src/quic/frame-writer.js';
import type { Frame } from '../src/quic/frames.js';
import { hex } from './helpers.js';

const ALL_FRAMES: Frame[] = [
  { type: 'padding', length: 3 },
  { type: 'ping' },
  {
    type: 'ack',
    delay: 25,
    ranges: [
      { smallest: 5, largest: 10 },
      { smallest: 0, largest: 2 },
    ],
  },
  {
    type: 'ack',
    delay: 0,
    ranges: [{ smallest: 7, largest: 7 }],
    ecn: { ect0: 1, ect1: 2, ce: 3 },
  },
  { type: 'reset_stream', streamId: 4, errorCode: 0x10c, finalSize: 1000 },
  { type: 'stop_sending', streamId: 8, errorCode: 7 },
  { type: 'crypto', offset: 1234, data: hex('0102030405') },
  { type: 'new_token', token: hex('aabbcc') },
  { type: 'stream', streamId: 0, offset: 0, data: hex('68656c6c6f'), fin: false },
  { type: 'stream', streamId: 3, offset: 70000, data: new Uint8Array(0), fin: true },
  { type: 'max_data', maximum: 1 << 20 },
  { type: 'max_stream_data', streamId: 4, maximum: 65536 },
  { type: 'max_streams', bidi: true, maximum: 100 },
  { type: 'max_streams', bidi: false, maximum: 3 },
  { type: 'data_blocked', limit: 5000 },
  { type: 'stream_data_blocked', streamId: 12, limit: 6000 },
  { type: 'streams_blocked', bidi: true, limit: 100 },
  { type: 'streams_blocked', bidi: false, limit: 2 },
  {
    type: 'new_connection_id',
    sequence: 2,
    retirePriorTo: 1,
    connectionId: hex('0102030405060708'),
    resetToken: new Uint8Array(16).fill(9),
  },
  { type: 'retire_connection_id', sequence: 1 },
  { type: 'path_challenge', data: hex('0001020304050607') },
  { type: 'path_response', data: hex('0706050403020100') },
  {
    type: 'connection_close',
    isApplication: false,
    errorCode: 0x0a,
    frameType: 0x08,
    reason: 'bad stream',
  },
  { type: 'connection_close', isApplication: true, errorCode: 0x100, frameType: 0, reason: 'bye' },
  { type: 'handshake_done' },
];

function encode(frames: readonly Frame[]): Uint8Array {
  const w = new ByteWriter();
  for (const f of frames) writeFrame(w, f);
  return w.finish();
}

function transportCodeOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(QuicError);
    expect(isRwsError(err, 'RWS_H3_TRANSPORT_ERROR')).toBe(true);
    return (err as QuicError).transportCode;
  }
  throw new Error('expected a QuicError');
}

describe('frames (RFC 9000 §19)', () => {
  it('round-trips every frame type in one 1-RTT payload', () => {
    const parsed = parseFrames(encode(ALL_FRAMES), '1rtt');
    expect(parsed).toEqual(ALL_FRAMES);
  });

  it('parses a STREAM frame without LEN running to the end of the packet', () => {
    expect(parseFrames(hex('0d04 05 616263'), '1rtt')).toEqual([
      { type: 'stream', streamId: 4, offset: 5, data: hex('616263'), fin: true },
    ]);
  });

  it('parses the RFC 9001 A.3 server payload: ACK then CRYPTO', () => {
    const frames = parseFrames(hex('0200000000'), 'initial');
    expect(frames).toEqual([{ type: 'ack', delay: 0, ranges: [{ smallest: 0, largest: 0 }] }]);
  });

  it.each([
    ['an empty payload', '', 'initial', TRANSPORT_ERROR.PROTOCOL_VIOLATION],
    ['STREAM in an Initial', '0800', 'initial', TRANSPORT_ERROR.PROTOCOL_VIOLATION],
    ['HANDSHAKE_DONE in a Handshake packet', '1e', 'handshake', TRANSPORT_ERROR.PROTOCOL_VIOLATION],
    ['ACK in 0-RTT', '0200000000', '0rtt', TRANSPORT_ERROR.PROTOCOL_VIOLATION],
    ['CRYPTO in 0-RTT', '06000100', '0rtt', TRANSPORT_ERROR.PROTOCOL_VIOLATION],
    ['an unknown frame type', '21', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    ['a truncated varint', '10c0', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    ['CRYPTO longer than the packet', '06000501', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    ['an ACK range below zero', '020500 0006', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    ['an ACK gap below zero', '020a00 01 02 0800', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    ['an empty NEW_TOKEN', '0700', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    ['MAX_STREAMS above 2^60', '12e000000000000000', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    [
      'NEW_CONNECTION_ID with length 0',
      '18010000' + '00'.repeat(16),
      '1rtt',
      TRANSPORT_ERROR.FRAME_ENCODING_ERROR,
    ],
    [
      'NEW_CONNECTION_ID with length 21',
      '180100' + '15' + '00'.repeat(37),
      '1rtt',
      TRANSPORT_ERROR.FRAME_ENCODING_ERROR,
    ],
    [
      'retire_prior_to above the sequence',
      '18010201' + 'aa' + '00'.repeat(16),
      '1rtt',
      TRANSPORT_ERROR.FRAME_ENCODING_ERROR,
    ],
    ['a short PATH_CHALLENGE', '1a01020304', '1rtt', TRANSPORT_ERROR.FRAME_ENCODING_ERROR],
    [
      'STREAM offset + length above 2^62',
      '0e00ffffffffffffffff01' + '00',
      '1rtt',
      TRANSPORT_ERROR.FRAME_ENCODING_ERROR,
    ],
  ] as const)('rejects %s', (_name, bytes, kind, code) => {
    expect(transportCodeOf(() => parseFrames(hex(bytes), kind))).toBe(code);
  });

  it('names the frame type in the error', () => {
    try {
      parseFrames(hex('06000501'), '1rtt');
    } catch (err) {
      expect((err as QuicError).frameType).toBe(0x06);
      expect((err as Error).message).toMatch(/frame 0x6: the crypto data runs past the end/);
    }
  });

  it('limits the number of ACK ranges', () => {
    const w = new ByteWriter().u8(2).varint(100000).varint(0).varint(1000).varint(0);
    for (let i = 0; i < 1000; i++) w.varint(0).varint(0);
    expect(transportCodeOf(() => parseFrames(w.finish(), '1rtt'))).toBe(
      TRANSPORT_ERROR.FRAME_ENCODING_ERROR,
    );
  });
});
