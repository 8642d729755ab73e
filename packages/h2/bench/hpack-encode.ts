/**
 * `valgrind --tool=callgrind --instr-atstart=no node --single-threaded --conditions=@rws/source
 * --import tsx packages/h2/bench/hpack-encode.ts --mode trusted --warmup 20000 --n 20000`:
 * encodes a server's 5-field response head `warmup` times, switches callgrind's instrumentation
 * on (`callgrind_control`), encodes it `n` more times and switches it off. `--mode checked` uses
 * `encode` (every char checked, `checkFieldBytes`), `trusted` uses `encodeTrusted`. The total
 * of a run with `--n N` minus that of one with `--n 0`, over N, is the instructions of one
 * encode.
 */
import { execFile } from 'node:child_process';
import { parseArgs, promisify } from 'node:util';
import { HpackEncoder } from '../src/index.js';

const { values } = parseArgs({
  options: {
    mode: { type: 'string', default: 'trusted' },
    warmup: { type: 'string', default: '20000' },
    n: { type: 'string', default: '20000' },
  },
});
const fields = [
  ':status',
  '200',
  'content-type',
  'text/plain; charset=utf-8',
  'content-length',
  '12',
  'date',
  'Mon, 30 Nov 2026 03:00:00 GMT',
  'server',
  'rws',
];
const encoder = new HpackEncoder();
const isChecked = values.mode === 'checked';

function run(count: number): number {
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    bytes += (isChecked ? encoder.encode(fields) : encoder.encodeTrusted(fields)).length;
  }
  return bytes;
}

const callgrind = (on: boolean): Promise<unknown> =>
  promisify(execFile)('callgrind_control', ['-i', on ? 'on' : 'off', String(process.pid)]);

let bytes = run(Number(values.warmup));
await callgrind(true);
bytes += run(Number(values.n));
await callgrind(false);
// Printed so the loop's result is used.
console.log(`${values.mode}: ${bytes} bytes`);
