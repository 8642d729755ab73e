import { expect, test } from 'vitest';
import { dotStuff } from '../src/internal/dot-stuff.js';

async function run(chunks: string[]): Promise<string> {
  async function* source(): AsyncIterable<Uint8Array> {
    for (const c of chunks) yield Buffer.from(c, 'latin1');
  }
  let out = '';
  for await (const b of dotStuff(source())) out += b.toString('latin1');
  return out;
}

/** The rule stated once, on the whole text: RFC 5321 §4.5.2. */
function reference(text: string): string {
  const stuffed = text.replace(/(^|\r\n)\./g, '$1..');
  return stuffed.endsWith('\r\n') || stuffed === '' ? `${stuffed}.\r\n` : `${stuffed}\r\n.\r\n`;
}

const CASES = [
  '',
  '.',
  '.\r\n',
  'a\r\n.\r\nb',
  '..\r\n...\r\n',
  'line\r\n.leading dot\r\n mid . dot\r\n.',
  'bare\n.lf is not a line start for SMTP\r\n',
  '\r\n.\r\n.\r\n',
];

test('dot-stuffing is the same at every split point of the input (issue #18)', async () => {
  for (const text of CASES) {
    const want = reference(text);
    expect(await run([text])).toBe(want);
    for (let i = 0; i <= text.length; i++) {
      for (let j = i; j <= text.length; j++) {
        expect(await run([text.slice(0, i), text.slice(i, j), text.slice(j)])).toBe(want);
      }
    }
  }
});
