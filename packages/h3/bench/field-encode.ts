/**
 * `valgrind --tool=callgrind --instr-atstart=no node --single-threaded --conditions=@rws/source
 * --import tsx packages/h3/bench/field-encode.ts --encoder hpack --mode trusted --warmup 20000
 * --n 20000`: encodes a server's 5-field response head `warmup` times, switches callgrind's
 * instrumentation on (`callgrind_control`), encodes it `n` more times and switches it off.
 * `--encoder hpack` is @rws/h2's `HpackEncoder`; `qpack` is our `QpackEncoder` (one request
 * stream per section; static table and literals, as before the peer's SETTINGS).
 * `--mode checked` uses `encode` (every char checked, `checkFieldBytes`), `trusted` uses
 * `encodeTrusted`. The total of a run with `--n N` minus that of one with `--n 0`, over N, is
 * the instructions of one encode.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { HpackEncoder } from '@rws/h2';
import type { HeaderField } from '../src/qpack/qpack-decoder.js';
import { QpackEncoder } from '../src/qpack/qpack-encoder.js';

const { values } = parseArgs({
  options: {
    encoder: { type: 'string', default: 'hpack' },
    mode: { type: 'string', default: 'trusted' },
    warmup: { type: 'string', default: '20000' },
    n: { type: 'string', default: '20000' },
  },
});
const pairs: HeaderField[] = [
  [':status', '200'],
  ['content-type', 'text/plain; charset=utf-8'],
  ['content-length', '12'],
  ['date', 'Mon, 30 Nov 2026 03:00:00 GMT'],
  ['server', 'rws'],
];
const isChecked = values.mode === 'checked';

/** One encode of the response head, as the h2 or h3 server makes it. */
function encoderOf(kind: string | undefined): () => Uint8Array {
  if (kind === 'hpack') {
    const hpack = new HpackEncoder();
    const flat = pairs.flat();
    return isChecked ? () => hpack.encode(flat) : () => hpack.encodeTrusted(flat);
  }
  const qpack = new QpackEncoder();
  let id = -4;
  return isChecked
    ? () => qpack.encode(pairs, (id += 4))
    : () => qpack.encodeTrusted(pairs, (id += 4));
}

const encode = encoderOf(values.encoder);
function run(count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) bytes += encode().length;
  return bytes;
}

const callgrind = (on: boolean): Promise<unknown> =>
  promisify(execFile)('callgrind_control', ['-i', on ? 'on' : 'off', String(process.pid)]);

let bytes = run(Number(values.warmup));
await callgrind(true);
bytes += run(Number(values.n));
await callgrind(false);
// Printed so the loop's result is used.
console.log(`${values.encoder} ${values.mode}: ${bytes} bytes`);
