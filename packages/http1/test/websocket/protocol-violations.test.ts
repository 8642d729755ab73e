/**
 * RFC 6455 §5 protocol violations over a real socket (issue #14): a raw node:net peer writes
 * exact frame bytes and each row asserts the close code the server fails the connection with,
 * and that it then ends the TCP connection.
 */
import { deflateRawSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { encodeFrame } from '../../src/websocket/encode-frame.js';
import { rawConnect, startEcho } from './ws-helpers.js';

/** A masked frame with an explicit first byte and payload (mask key 0, so bytes are literal). */
function raw(b0: number, payload: Uint8Array | string = '', lengthOverride?: Buffer): Buffer {
  const p = typeof payload === 'string' ? Buffer.from(payload) : Buffer.from(payload);
  const len =
    lengthOverride ??
    (p.length < 126
      ? Buffer.from([0x80 | p.length])
      : Buffer.from([0x80 | 126, p.length >> 8, p.length & 0xff]));
  return Buffer.concat([Buffer.from([b0]), len, Buffer.alloc(4), p]);
}

const unmasked = (b0: number, payload: string): Buffer =>
  Buffer.concat([Buffer.from([b0, payload.length]), Buffer.from(payload)]);

const closePayload = (code: number, reason: Uint8Array = new Uint8Array(0)): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(code);
  return Buffer.concat([b, reason]);
};

interface Row {
  name: string;
  bytes: Buffer;
  code: number;
  deflate?: boolean;
  maxMessageBytes?: number;
}

const rows: Row[] = [
  { name: 'an unmasked client frame', bytes: unmasked(0x81, 'hi'), code: 1002 },
  { name: 'RSV1 without a negotiated extension', bytes: raw(0xc1, 'hi'), code: 1002 },
  { name: 'RSV2 set', bytes: raw(0xa1, 'hi'), code: 1002 },
  { name: 'RSV3 set', bytes: raw(0x91, 'hi'), code: 1002 },
  {
    name: 'RSV1 on a control frame with deflate negotiated',
    bytes: raw(0xc9, ''),
    code: 1002,
    deflate: true,
  },
  {
    name: 'RSV1 on a continuation frame with deflate',
    bytes: Buffer.concat([raw(0x01, 'a'), raw(0xc0, 'b')]),
    code: 1002,
    deflate: true,
  },
  { name: 'reserved data opcode 0x3', bytes: raw(0x83, 'x'), code: 1002 },
  { name: 'reserved data opcode 0x7', bytes: raw(0x87, 'x'), code: 1002 },
  { name: 'reserved control opcode 0xB', bytes: raw(0x8b, ''), code: 1002 },
  { name: 'reserved control opcode 0xF', bytes: raw(0x8f, ''), code: 1002 },
  { name: 'a fragmented ping', bytes: raw(0x09, 'p'), code: 1002 },
  { name: 'a ping with 126 bytes', bytes: raw(0x89, 'x'.repeat(126)), code: 1002 },
  {
    name: 'a close with 126 bytes',
    bytes: raw(0x88, Buffer.concat([closePayload(1000), Buffer.alloc(124, 97)])),
    code: 1002,
  },
  { name: 'a continuation with nothing to continue', bytes: raw(0x80, 'x'), code: 1002 },
  {
    name: 'a new text frame inside a fragmented message',
    bytes: Buffer.concat([raw(0x01, 'a'), raw(0x81, 'b')]),
    code: 1002,
  },
  {
    name: 'a new binary frame inside a fragmented text',
    bytes: Buffer.concat([raw(0x01, 'a'), raw(0x02, 'b')]),
    code: 1002,
  },
  {
    name: 'a 64-bit length with the most significant bit set',
    bytes: Buffer.concat([
      Buffer.from([0x82, 0x80 | 127, 0x80, 0, 0, 0, 0, 0, 0, 1]),
      Buffer.alloc(4),
    ]),
    code: 1002,
  },
  { name: 'a close payload of one byte', bytes: raw(0x88, Buffer.from([3])), code: 1002 },
  { name: 'close code 999', bytes: raw(0x88, closePayload(999)), code: 1002 },
  { name: 'close code 1005 on the wire', bytes: raw(0x88, closePayload(1005)), code: 1002 },
  { name: 'close code 1006 on the wire', bytes: raw(0x88, closePayload(1006)), code: 1002 },
  { name: 'close code 1015 on the wire', bytes: raw(0x88, closePayload(1015)), code: 1002 },
  { name: 'close code 2000 (reserved range)', bytes: raw(0x88, closePayload(2000)), code: 1002 },
  { name: 'close code 5000', bytes: raw(0x88, closePayload(5000)), code: 1002 },
  {
    name: 'a close reason that is not UTF-8',
    bytes: raw(0x88, closePayload(1000, Buffer.from([0xc3, 0x28]))),
    code: 1007,
  },
  {
    name: 'a text message that is not UTF-8',
    bytes: raw(0x81, Buffer.from([0x68, 0xff, 0x69])),
    code: 1007,
  },
  { name: 'an overlong UTF-8 encoding', bytes: raw(0x81, Buffer.from([0xc0, 0xaf])), code: 1007 },
  {
    name: 'a UTF-16 surrogate encoded in UTF-8',
    bytes: raw(0x81, Buffer.from([0xed, 0xa0, 0x80])),
    code: 1007,
  },
  {
    name: 'a UTF-8 sequence cut at the end of the message',
    bytes: raw(0x81, Buffer.from([0x61, 0xe2, 0x82])),
    code: 1007,
  },
  {
    name: 'invalid UTF-8 split across fragments',
    bytes: Buffer.concat([
      raw(0x01, Buffer.from([0x61, 0xe2])),
      raw(0x80, Buffer.from([0x28, 0xa1])),
    ]),
    code: 1007,
  },
  {
    name: 'a frame over maxMessageBytes (declared length, before the payload arrives)',
    bytes: Buffer.concat([
      Buffer.from([0x82, 0x80 | 127, 0, 0, 0, 1, 0, 0, 0, 0]),
      Buffer.alloc(4),
    ]),
    code: 1009,
    maxMessageBytes: 1024,
  },
  {
    name: 'fragments that together pass maxMessageBytes',
    bytes: Buffer.concat([raw(0x02, Buffer.alloc(600)), raw(0x80, Buffer.alloc(600))]),
    code: 1009,
    maxMessageBytes: 1024,
  },
  {
    name: 'a compressed message that inflates past maxMessageBytes (zip bomb)',
    bytes: raw(
      0xc2,
      deflateRawSync(Buffer.alloc(10 * 1024 * 1024), { finishFlush: 2 }).subarray(0, -4),
    ),
    code: 1009,
    deflate: true,
    maxMessageBytes: 64 * 1024,
  },
  {
    name: 'compressed text that inflates to invalid UTF-8',
    bytes: raw(
      0xc1,
      deflateRawSync(Buffer.from([0xff, 0xfe, 0xfd]), { finishFlush: 2 }).subarray(0, -4),
    ),
    code: 1007,
    deflate: true,
  },
];

describe('protocol violations close with the right code (RFC 6455 §7.4.1)', () => {
  it.each(rows)('$name → $code', async (row) => {
    const errors: unknown[] = [];
    const { port } = await startEcho({
      deflate: row.deflate === true,
      maxMessageBytes: row.maxMessageBytes,
      onError: (e) => errors.push(e),
    });
    const client = await rawConnect(
      port,
      row.deflate === true ? 'Sec-WebSocket-Extensions: permessage-deflate\r\n' : '',
    );
    if (row.deflate === true) expect(client.head).toContain('permessage-deflate');
    client.socket.write(row.bytes);
    expect(await client.closeCode()).toBe(row.code);
    // Failing the connection ends it: the server closes TCP without waiting for our Close.
    await client.ended();
    // No echo was sent for a violating message.
    expect(client.frames.filter((f) => f.opcode !== 8)).toEqual([]);
    expect(errors.length).toBe(1);
  });

  it('a valid exchange right before the violation is still answered (the table can fail)', async () => {
    const { port } = await startEcho();
    const client = await rawConnect(port);
    client.socket.write(
      Buffer.concat([encodeFrame(1, Buffer.from('ok'), { mask: true }), raw(0x83, 'x')]),
    );
    expect(await client.closeCode()).toBe(1002);
    expect(client.frames.map((f) => [f.opcode, Buffer.from(f.payload).toString()])[0]).toEqual([
      1,
      'ok',
    ]);
  });
});

describe('valid edge cases are accepted', () => {
  it('control frames between fragments, empty frames, 125-byte ping, 16- and 64-bit lengths', async () => {
    const { port } = await startEcho();
    const client = await rawConnect(port);
    const big = Buffer.alloc(70_000, 98);
    client.socket.write(
      Buffer.concat([
        encodeFrame(1, Buffer.from('a'), { mask: true, fin: false }),
        encodeFrame(9, Buffer.alloc(125, 112), { mask: true }),
        encodeFrame(0, Buffer.alloc(0), { mask: true, fin: false }),
        encodeFrame(10, Buffer.from('unsolicited pong'), { mask: true }),
        encodeFrame(0, Buffer.from('é'), { mask: true, fin: true }),
        encodeFrame(2, Buffer.alloc(0), { mask: true }),
        encodeFrame(2, Buffer.alloc(300, 97), { mask: true }),
        encodeFrame(2, big, { mask: true }),
        // A BOM stays part of the text (it is not stripped).
        encodeFrame(1, Buffer.from('\ufeffbom'), { mask: true }),
      ]),
    );
    const frames = await client.waitFor((f) => f.length >= 6);
    expect(frames.map((f) => [f.opcode, f.payload.length])).toEqual([
      [10, 125],
      [1, 3],
      [2, 0],
      [2, 300],
      [2, 70_000],
      [1, 6],
    ]);
    expect(Buffer.from(frames[1]!.payload).toString()).toBe('aé');
    expect(Buffer.from(frames[4]!.payload).equals(big)).toBe(true);
    // Server frames are never masked, and use the shortest length form.
    expect(Buffer.from(frames[5]!.payload).toString()).toBe('\ufeffbom');
  });

  it('answers a Close with the same code, then ends TCP first (RFC 6455 §7.1.1)', async () => {
    const { port } = await startEcho();
    const client = await rawConnect(port);
    client.send(8, closePayload(4321, Buffer.from('done')));
    expect(await client.closeCode()).toBe(4321);
    await client.ended();
  });

  it('answers an empty Close with an empty Close', async () => {
    const { port } = await startEcho();
    const client = await rawConnect(port);
    client.send(8, '');
    expect(await client.closeCode()).toBe(1005);
    expect(client.frames.find((f) => f.opcode === 8)!.payload.length).toBe(0);
  });
});
