/**
 * The S3 driver against the AWS SDK v3 (`@aws-sdk/client-s3` with `@aws-sdk/lib-storage`'s
 * `Upload`): upload and download MiB/s of one large object, both against the same local S3
 * server (the test server, which verifies every signature), alternating each round, plus
 * memory: the peak ArrayBuffer growth during the timed uploads and downloads (garbage not yet
 * collected included, so it depends on GC timing) and, from one extra untimed upload per client that
 * collects before every sample, the peak each client actually retained. The body is fresh
 * 64 KiB chunks, as a file stream yields them. Not part of `test`; `pnpm bench storage` runs
 * it pinned to the load CPU with the server on the other.
 *
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/storage/bench/s3-vs-aws-sdk.ts
 *
 * Env: BENCH_S3_ENDPOINT (a running server; default one started in-process),
 * BENCH_SIZE_MIB (100), BENCH_ROUNDS (3), BENCH_STAT (median | best).
 */
import { Readable } from 'node:stream';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { createS3Storage } from '../src/drivers/s3.js';
import { startS3Server } from '../test/support/s3-server.js';
import { BENCH_BUCKET, BENCH_CREDENTIALS } from './s3-server-process.js';

const MIB = 1024 * 1024;
const SIZE = Number(process.env['BENCH_SIZE_MIB'] ?? 100) * MIB;
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const STAT = process.env['BENCH_STAT'] === 'best' ? 'best' : 'median';
const PART = 8 * MIB;
const QUEUE = 4;
const CHUNK = 64 * 1024;

/** Fresh chunks, as `fs.createReadStream` yields them: a client cannot hold them for free. */
async function* source(): AsyncGenerator<Uint8Array> {
  for (let sent = 0; sent < SIZE; sent += CHUNK) yield Buffer.allocUnsafe(CHUNK).fill(42);
}

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Peak ArrayBuffer MiB `fn` retains: each sample collects first, so garbage is not counted. */
async function retainedPeak(fn: () => Promise<unknown>): Promise<number> {
  gc();
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const sample = (): void => {
    gc();
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  };
  const timer = setInterval(sample, 50);
  await fn();
  clearInterval(timer);
  sample();
  return peak / MIB;
}

interface Client {
  readonly name: string;
  upload(key: string): Promise<void>;
  download(key: string): Promise<number>;
  close(): Promise<void>;
}

function rwsClient(endpoint: string): Client {
  const storage = createS3Storage({
    endpoint,
    bucket: BENCH_BUCKET,
    region: 'us-east-1',
    credentials: BENCH_CREDENTIALS,
    partSize: PART,
    queueSize: QUEUE,
  });
  return {
    name: '@rws/storage',
    async upload(key) {
      await storage.put(key, source());
    },
    async download(key) {
      let bytes = 0;
      const object = await storage.get(key);
      for await (const chunk of object?.body ?? new ReadableStream<Uint8Array>()) {
        bytes += chunk.byteLength;
      }
      return bytes;
    },
    close: () => storage.close(),
  };
}

function sdkClient(endpoint: string): Client {
  const client = new S3Client({
    endpoint,
    region: 'us-east-1',
    forcePathStyle: true,
    credentials: BENCH_CREDENTIALS,
    // The 2025 default CRC checksums are what broke R2 and MinIO; compare like with like.
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
  });
  return {
    name: 'aws-sdk v3',
    async upload(key) {
      const upload = new Upload({
        client,
        params: { Bucket: BENCH_BUCKET, Key: key, Body: Readable.from(source()) },
        partSize: PART,
        queueSize: QUEUE,
      });
      await upload.done();
    },
    async download(key) {
      const res = await client.send(new GetObjectCommand({ Bucket: BENCH_BUCKET, Key: key }));
      let bytes = 0;
      for await (const chunk of res.Body as AsyncIterable<Uint8Array>) bytes += chunk.byteLength;
      return bytes;
    },
    async close() {
      client.destroy();
    },
  };
}

/** Runs `fn`, sampling retained ArrayBuffer memory; returns seconds and the peak in MiB. */
async function measure(fn: () => Promise<unknown>): Promise<{ seconds: number; peakMiB: number }> {
  const base = process.memoryUsage().arrayBuffers;
  let peak = 0;
  const timer = setInterval(() => {
    peak = Math.max(peak, process.memoryUsage().arrayBuffers - base);
  }, 20);
  const start = performance.now();
  await fn();
  const seconds = (performance.now() - start) / 1000;
  clearInterval(timer);
  return { seconds, peakMiB: peak / MIB };
}

function pick(values: number[], higherIsBetter: boolean): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (STAT === 'best') return (higherIsBetter ? sorted.at(-1) : sorted[0]) ?? 0;
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const local =
    process.env['BENCH_S3_ENDPOINT'] === undefined
      ? await startS3Server({ buckets: [BENCH_BUCKET], credentials: [BENCH_CREDENTIALS] })
      : null;
  const endpoint = local?.endpoint ?? (process.env['BENCH_S3_ENDPOINT'] as string);
  const clients = [rwsClient(endpoint), sdkClient(endpoint)];
  const results = new Map(
    clients.map((c) => [c.name, { up: [0], down: [0], memUp: [0], memDown: [0], retained: 0 }]),
  );
  for (const r of results.values()) {
    r.up = [];
    r.down = [];
    r.memUp = [];
    r.memDown = [];
  }
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      // Alternate who goes first so neither always meets a warm server.
      const order = round % 2 === 1 ? clients : [...clients].reverse();
      for (const client of order) {
        const key = `bench/${client.name.replace(/\W/g, '-')}-${round}.bin`;
        const up = await measure(() => client.upload(key));
        let bytes = 0;
        const down = await measure(async () => {
          bytes = await client.download(key);
        });
        if (bytes !== SIZE) throw new Error(`${client.name} downloaded ${bytes} of ${SIZE} bytes`);
        const r = results.get(client.name);
        r?.up.push(SIZE / MIB / up.seconds);
        r?.down.push(SIZE / MIB / down.seconds);
        r?.memUp.push(up.peakMiB);
        r?.memDown.push(down.peakMiB);
        console.error(
          `storage round ${round}/${ROUNDS} ${client.name.padEnd(14)} up ${(SIZE / MIB / up.seconds).toFixed(0)} MiB/s, down ${(SIZE / MIB / down.seconds).toFixed(0)} MiB/s, peak ${up.peakMiB.toFixed(0)} / ${down.peakMiB.toFixed(0)} MiB`,
        );
      }
    }
    for (const client of clients) {
      const r = results.get(client.name);
      if (r !== undefined)
        r.retained = await retainedPeak(() => client.upload('bench/retained.bin'));
      console.error(
        `storage ${client.name.padEnd(14)} upload retained ${r?.retained.toFixed(1)} MiB`,
      );
    }
  } finally {
    for (const client of clients) await client.close();
    await local?.close();
  }
  const rows = clients.map((c) => {
    const r = results.get(c.name) ?? { up: [], down: [], memUp: [], memDown: [], retained: 0 };
    return {
      name: c.name,
      up: pick(r.up, true),
      down: pick(r.down, true),
      memUp: pick(r.memUp, false),
      memDown: pick(r.memDown, false),
      retained: r.retained,
    };
  });
  const [ours, sdk] = rows;
  console.log(
    `### storage: ${SIZE / MIB} MiB object, ${PART / MIB} MiB parts, ${QUEUE} in flight, ${ROUNDS} rounds (${STAT})\n`,
  );
  console.log(
    '| client | upload MiB/s | download MiB/s | peak ArrayBuffer MiB (up / down) | upload retained MiB |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: |');
  for (const row of rows) {
    console.log(
      `| ${row.name} | ${row.up.toFixed(0)} | ${row.down.toFixed(0)} | ${row.memUp.toFixed(0)} / ${row.memDown.toFixed(0)} | ${row.retained.toFixed(0)} |`,
    );
  }
  if (ours !== undefined && sdk !== undefined) {
    console.log(
      `\nratio (@rws/storage / aws-sdk): upload ${(ours.up / sdk.up).toFixed(2)}x, download ${(ours.down / sdk.down).toFixed(2)}x`,
    );
  }
}

await main();
