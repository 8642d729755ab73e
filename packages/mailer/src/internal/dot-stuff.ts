/**
 * Dot-stuffs CRLF content for DATA: a line starting with "." gets another "."; the stream ends
 * with CRLF "." CRLF. Tracks line starts across chunk boundaries.
 * @see RFC 5321 §4.5.2
 */
export async function* dotStuff(source: AsyncIterable<Uint8Array>): AsyncIterable<Buffer> {
  let atLineStart = true;
  let prevCr = false;
  let lastTwo = [0x0d, 0x0a];
  for await (const input of source) {
    const chunk = Buffer.from(input.buffer, input.byteOffset, input.byteLength);
    if (chunk.length === 0) continue;
    let start = 0;
    const parts: Buffer[] = [];
    for (let i = 0; i < chunk.length; i++) {
      const b = chunk[i] as number;
      if (atLineStart && b === 0x2e) {
        parts.push(chunk.subarray(start, i), Buffer.from('.'));
        start = i;
      }
      atLineStart = prevCr && b === 0x0a;
      prevCr = b === 0x0d;
    }
    parts.push(chunk.subarray(start));
    const out = Buffer.concat(parts);
    lastTwo =
      out.length >= 2
        ? [out[out.length - 2] as number, out[out.length - 1] as number]
        : [lastTwo[1] as number, out[0] as number];
    yield out;
  }
  const endsWithCrlf = lastTwo[0] === 0x0d && lastTwo[1] === 0x0a;
  yield Buffer.from(endsWithCrlf ? '.\r\n' : '\r\n.\r\n');
}
