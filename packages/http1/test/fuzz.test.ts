/**
 * Property tests over a real socket (undici-style fuzzing): random request heads and random
 * chunkings. The server must never crash or hang, must answer every well-formed request the
 * same way however it is chunked, and must answer malformed input with a 4xx/5xx and a close.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { exchange, start, text } from './helpers.js';

const token = fc.stringMatching(/^[A-Za-z0-9!#$%&'*+.^_`|~-]{1,12}$/);
const value = fc.stringMatching(/^[\x21-\x7e]([\x20-\x7e]{0,20}[\x21-\x7e])?$/);
interface FuzzRequest {
  method: string;
  path: string;
  headers: [string, string][];
  body: string | null;
  chunked: boolean;
}

const validRequest: fc.Arbitrary<FuzzRequest> = fc.record({
  method: fc.constantFrom('GET', 'POST', 'PUT', 'DELETE', 'PATCH'),
  path: fc.stringMatching(/^\/[a-z0-9/._~%-]{0,30}$/),
  headers: fc.array(fc.tuple(token, value), { maxLength: 6 }),
  body: fc.option(fc.string({ maxLength: 40 }), { nil: null }),
  chunked: fc.boolean(),
});

function serialize(r: FuzzRequest): string {
  let head = `${r.method} ${r.path} HTTP/1.1\r\nHost: fuzz\r\n`;
  for (const [name, v] of r.headers) {
    const lower = name.toLowerCase();
    if (
      ['host', 'content-length', 'transfer-encoding', 'connection', 'expect', 'upgrade'].includes(
        lower,
      )
    )
      continue;
    head += `${name}: ${v}\r\n`;
  }
  if (r.body === null) return `${head}\r\n`;
  const bytes = Buffer.from(r.body);
  if (r.chunked && bytes.length > 0) {
    return `${head}Transfer-Encoding: chunked\r\n\r\n${bytes.length.toString(16)}\r\n${r.body}\r\n0\r\n\r\n`;
  }
  return `${head}Content-Length: ${bytes.length}\r\n\r\n${r.body}`;
}

function cut(input: Buffer, cuts: number[]): Buffer[] {
  const parts: Buffer[] = [];
  let pos = 0;
  let k = 0;
  while (pos < input.length) {
    const n = cuts[k++ % cuts.length]!;
    parts.push(input.subarray(pos, pos + n));
    pos += n;
  }
  return parts;
}

describe('fuzzing over a socket', () => {
  it('answers random valid requests identically however they are chunked', async () => {
    const { port } = await start(async (req) => {
      const body = await req.body.text();
      return text(`${req.method}|${req.path}|${req.headers.size}|${body}`);
    });
    await fc.assert(
      fc.asyncProperty(
        validRequest,
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 6 }),
        async (r, cuts) => {
          const input = Buffer.from(serialize(r));
          const whole = await exchange(port, input, { responses: 1 });
          const pieces = await exchange(port, input, { responses: 1, parts: cut(input, cuts) });
          expect(whole.responses[0]!.status).toBe(200);
          expect(pieces.responses[0]!.body).toBe(whole.responses[0]!.body);
          const body = r.body === null ? '' : r.body;
          expect(whole.responses[0]!.body.endsWith(`|${body}`)).toBe(true);
        },
      ),
      { numRuns: 60 },
    );
  }, 60_000);

  it('never crashes or hangs on mutated heads and gives one verdict per input', async () => {
    const { port } = await start(async (req) => text(String((await req.body.bytes()).length)), {
      headersTimeoutMs: 2000,
    });
    const mutated = fc
      .tuple(
        validRequest,
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), {
          minLength: 1,
          maxLength: 4,
        }),
      )
      .map(([r, edits]) => {
        const bytes = Buffer.from(serialize(r));
        for (const [at, byte] of edits) bytes[at % bytes.length] = byte;
        return bytes;
      });
    await fc.assert(
      fc.asyncProperty(
        mutated,
        fc.array(fc.integer({ min: 1, max: 30 }), { minLength: 1, maxLength: 4 }),
        async (input, cuts) => {
          // Half-close after writing: an incomplete head then ends the connection instead of
          // waiting for the timeout.
          const whole = await exchange(port, input, { end: true });
          const pieces = await exchange(port, input, { end: true, parts: cut(input, cuts) });
          expect(whole.closed).toBe(true);
          const verdict = (x: typeof whole) => x.responses.map((r) => r.status).join(',');
          expect(verdict(pieces)).toBe(verdict(whole));
          for (const r of whole.responses) {
            expect([200, 400, 413, 414, 417, 431, 501, 505]).toContain(r.status);
          }
        },
      ),
      { numRuns: 150 },
    );
  }, 60_000);
});
