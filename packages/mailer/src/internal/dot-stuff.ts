/**
 * Dot-stuffs CRLF content for DATA: a line starting with "." gets another "."; the stream ends
 * with CRLF "." CRLF. Tracks line starts across chunk boundaries. A chunk with no dot at a line
 * start (the usual case) is passed on as it is, without a copy; dots are found with
 * `indexOf`, not a byte-by-byte loop.
 * @see RFC 5321 §4.5.2
 */
export async function* dotStuff(source: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  // The last two bytes sent so far; the start of the content counts as a line start.
  let prev2 = 0x0d;
  let prev1 = 0x0a;
  for await (const input of source) {
    const chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    const n = chunk.length;
    if (n === 0) continue;
    let parts: Buffer[] | null = null;
    let start = 0;
    for (let dot = chunk.indexOf(0x2e); dot !== -1; dot = chunk.indexOf(0x2e, dot + 1)) {
      const before1 = dot >= 1 ? (chunk[dot - 1] as number) : prev1;
      const before2 = dot >= 2 ? (chunk[dot - 2] as number) : dot === 1 ? prev1 : prev2;
      if (before1 !== 0x0a || before2 !== 0x0d) continue;
      parts ??= [];
      // The dot is sent twice: the slice up to it ends with an extra ".".
      parts.push(chunk.subarray(start, dot), DOT);
      start = dot;
    }
    prev2 = n >= 2 ? (chunk[n - 2] as number) : prev1;
    prev1 = chunk[n - 1] as number;
    if (parts === null) yield chunk;
    else {
      parts.push(chunk.subarray(start));
      yield Buffer.concat(parts);
    }
  }
  yield prev2 === 0x0d && prev1 === 0x0a ? END_AFTER_CRLF : END;
}

const DOT = Buffer.from('.');
const END_AFTER_CRLF = Buffer.from('.\r\n');
const END = Buffer.from('\r\n.\r\n');
