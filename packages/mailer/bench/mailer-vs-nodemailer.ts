/**
 * @rws/mailer's pooled `Mailer` against nodemailer's pooled SMTP transport: messages per
 * second through the same number of pooled connections to the same local smtp-server sink,
 * alternating each round. Not part of `test`; `pnpm bench mailer` runs it pinned to the load CPU
 * with the sink on the other.
 *
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source packages/mailer/bench/mailer-vs-nodemailer.ts
 *
 * Env: BENCH_SMTP_PORT (a running sink; default one started in-process), BENCH_DURATION (5 s
 * measured per client per case per round), BENCH_WARMUP (1 s), BENCH_ROUNDS (3), BENCH_STAT
 * (median | best), BENCH_CONNECTIONS (pool size, 5), BENCH_CONCURRENCY (sends in flight, 50),
 * BENCH_CASE (small | attachment; default both).
 */
import { randomBytes } from 'node:crypto';
import nodemailer from 'nodemailer';
import { createMailer, type MailMessage } from '../src/index.js';
import { startSink } from './smtp-sink-process.js';

const DURATION_S = Number(process.env['BENCH_DURATION'] ?? 5);
const WARMUP_S = Number(process.env['BENCH_WARMUP'] ?? 1);
const ROUNDS = Number(process.env['BENCH_ROUNDS'] ?? 3);
const STAT = process.env['BENCH_STAT'] === 'best' ? 'best' : 'median';
const CONNECTIONS = Number(process.env['BENCH_CONNECTIONS'] ?? 5);
const CONCURRENCY = Number(process.env['BENCH_CONCURRENCY'] ?? 50);
const MAX_MESSAGES = 100;

const ATTACHMENT = randomBytes(100 * 1024);
const CASES: Record<string, { label: string; message: MailMessage }> = {
  small: {
    label: 'text + HTML, ~1 KiB',
    message: {
      from: 'Ada Lovelace <ada@example.com>',
      to: ['bob@example.org', 'Zoë <zoe@example.net>'],
      subject: 'Benchmark — Grüße',
      text: 'Hello Bob,\n\nthis is a benchmark message.\n'.repeat(10),
      html: '<p>Hello Bob,</p><p>this is a <b>benchmark</b> message.</p>'.repeat(10),
    },
  },
  attachment: {
    label: 'text + 100 KiB attachment',
    message: {
      from: 'ada@example.com',
      to: 'bob@example.org',
      subject: 'Report',
      text: 'See the attachment.',
      attachments: [{ filename: 'report.bin', content: ATTACHMENT }],
    },
  },
};

interface Client {
  readonly name: string;
  send(message: MailMessage): Promise<unknown>;
  close(): Promise<void>;
}

function rwsClient(port: number): Client {
  const mailer = createMailer({
    host: '127.0.0.1',
    port,
    secure: 'none',
    pool: { maxConnections: CONNECTIONS, maxMessagesPerConnection: MAX_MESSAGES },
  });
  return { name: '@rws/mailer', send: (m) => mailer.send(m), close: () => mailer.close() };
}

function nodemailerClient(port: number): Client {
  const transport = nodemailer.createTransport({
    pool: true,
    host: '127.0.0.1',
    port,
    secure: false,
    ignoreTLS: true,
    maxConnections: CONNECTIONS,
    maxMessages: MAX_MESSAGES,
  });
  return {
    name: 'nodemailer',
    send: (m) => transport.sendMail(m as Parameters<typeof transport.sendMail>[0]),
    async close() {
      transport.close();
    },
  };
}

/** Keeps CONCURRENCY sends in flight for `seconds`; returns messages per second. */
async function drive(client: Client, message: MailMessage, seconds: number): Promise<number> {
  const end = performance.now() + seconds * 1000;
  let done = 0;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        await client.send(message);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

function pick(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  if (STAT === 'best') return sorted.at(-1) ?? 0;
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

async function main(): Promise<void> {
  const local = process.env['BENCH_SMTP_PORT'] === undefined ? await startSink() : null;
  const port = local?.port ?? Number(process.env['BENCH_SMTP_PORT']);
  const only = process.env['BENCH_CASE'];
  const cases = Object.entries(CASES).filter(([name]) => only === undefined || only === name);
  if (cases.length === 0) throw new Error(`unknown BENCH_CASE ${only}; use small or attachment`);
  const makers = [rwsClient, nodemailerClient];
  const rows: string[] = [];
  try {
    for (const [name, { label, message }] of cases) {
      const results = new Map<string, number[]>();
      for (let round = 1; round <= ROUNDS; round++) {
        // Alternate who goes first so neither always meets a warm server.
        const order = round % 2 === 1 ? makers : [...makers].reverse();
        for (const make of order) {
          const client = make(port);
          try {
            if (WARMUP_S > 0) await drive(client, message, WARMUP_S);
            const rate = await drive(client, message, DURATION_S);
            results.set(client.name, [...(results.get(client.name) ?? []), rate]);
            console.error(
              `mailer ${name} round ${round}/${ROUNDS} ${client.name.padEnd(12)} ${rate.toFixed(0)} messages/s`,
            );
          } finally {
            await client.close();
          }
        }
      }
      const ours = pick(results.get('@rws/mailer') ?? []);
      const theirs = pick(results.get('nodemailer') ?? []);
      rows.push(
        `| ${label} | ${ours.toFixed(0)} | ${theirs.toFixed(0)} | ${(ours / theirs).toFixed(2)}x |`,
      );
    }
  } finally {
    await local?.close();
  }
  console.log(
    `### mailer: ${CONNECTIONS} pooled connections, ${CONCURRENCY} sends in flight, ${DURATION_S} s × ${ROUNDS} rounds (${STAT})\n`,
  );
  console.log('| message | @rws/mailer msg/s | nodemailer msg/s | @rws/mailer ÷ nodemailer |');
  console.log('| --- | ---: | ---: | ---: |');
  for (const row of rows) console.log(row);
}

await main();
