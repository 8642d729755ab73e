/**
 * The string writers behind a response head and its body in one buffer: Node's undocumented
 * `latin1Write`/`utf8Write` where they exist, `buf.write(…, encoding)` where a runtime lacks
 * them. Both must write the same bytes.
 */
import { Buffer } from 'node:buffer';
import { afterEach, describe, expect, it, vi } from 'vitest';

const EVERY_OCTET = Array.from({ length: 256 }, (_, i) => String.fromCharCode(i)).join('');
const TEXT = 'caf\u00e9 \u20ac \u{1f600} ok';

type Writers = typeof import('../src/internal/buffer-writes.js');

function expectSameBytes({ writeLatin1, writeUtf8 }: Writers): void {
  const head = `HTTP/1.1 200 OK\r\nx-obs: ${EVERY_OCTET}\r\n\r\n`;
  const utf8 = Buffer.from(TEXT, 'utf8');
  const out = Buffer.alloc(head.length + utf8.length + 4, 0xaa);
  expect(writeLatin1(out, head, 2, head.length)).toBe(head.length);
  expect(writeUtf8(out, TEXT, 2 + head.length, utf8.length)).toBe(utf8.length);
  expect(out.subarray(0, 2)).toEqual(Buffer.from([0xaa, 0xaa]));
  expect(out.subarray(2, 2 + head.length)).toEqual(Buffer.from(head, 'latin1'));
  expect(out.subarray(2 + head.length, 2 + head.length + utf8.length)).toEqual(utf8);
  expect(out.subarray(2 + head.length + utf8.length)).toEqual(Buffer.from([0xaa, 0xaa]));
  // At most `length` bytes: a UTF-8 sequence that does not fit is not split.
  const short = Buffer.alloc(5, 0);
  expect(writeUtf8(short, '\u20ac\u20ac', 0, 5)).toBe(3);
  expect(writeLatin1(short, 'abcdefg', 1, 3)).toBe(3);
  expect([...short]).toEqual([0xe2, 0x61, 0x62, 0x63, 0]);
}

describe('writeLatin1 / writeUtf8', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    vi.resetModules();
  });

  it("write what buf.write(…, 'latin1' | 'utf8') writes, through Node's own writers", async () => {
    expect(typeof (Buffer.prototype as { latin1Write?: unknown }).latin1Write).toBe('function');
    const writers = await import('../src/internal/buffer-writes.js');
    const write = vi.spyOn(Buffer.prototype, 'write');
    expectSameBytes(writers);
    expect(write).not.toHaveBeenCalled();
  });

  it('fall back to buf.write on a runtime without latin1Write and utf8Write', async () => {
    const proto = Buffer.prototype as { latin1Write?: unknown; utf8Write?: unknown };
    const { latin1Write, utf8Write } = proto;
    vi.resetModules();
    // Absent while the module is evaluated, as on a runtime without them.
    delete proto.latin1Write;
    delete proto.utf8Write;
    let writers: Writers;
    try {
      writers = await import('../src/internal/buffer-writes.js');
    } finally {
      proto.latin1Write = latin1Write;
      proto.utf8Write = utf8Write;
    }
    const write = vi.spyOn(Buffer.prototype, 'write');
    expectSameBytes(writers);
    expect(write).toHaveBeenCalledTimes(4);
  });
});
