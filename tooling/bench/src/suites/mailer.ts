/**
 * `pnpm bench mailer`: @rws/mailer's pooled `Mailer` vs nodemailer's pooled SMTP transport,
 * messages per second through the same pool size to the same local smtp-server sink.
 *
 * A client benchmark, like `storage`: the suite's single target does the whole job in
 * `start()`. It runs packages/mailer/bench/smtp-sink-process.ts pinned to the server CPU, then
 * packages/mailer/bench/mailer-vs-nodemailer.ts pinned to the load CPU (workspace Node, the
 * `@rws/source` condition, tsx), streams the script's progress to stderr and its markdown table
 * to stdout, stops the sink and exits the harness with the script's exit code. `--duration`,
 * `--warmup`, `--rounds` and `--stat` are handed to the script; `--connections` sets the pool
 * size (default 5); BENCH_CASE=small or attachment runs one message kind only.
 */
import { once } from 'node:events';
import { parseArgs } from 'node:util';
import { LOAD_CPU, SERVER_CPU, spawnPinned } from '../process.js';
import { defineSuite } from '../suite.js';
import { REPO_ROOT } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const BENCH_DIR = new URL('../../../../packages/mailer/bench/', import.meta.url);
const SINK_SCRIPT = new URL('smtp-sink-process.ts', BENCH_DIR).pathname;
const CLIENT_SCRIPT = new URL('mailer-vs-nodemailer.ts', BENCH_DIR).pathname;
const TSX_LOADER = import.meta.resolve('tsx');
const NODE_ARGS = ['--conditions=@rws/source', '--import', TSX_LOADER];

function scriptEnv(): Record<string, string> {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    strict: false,
    allowPositionals: true,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      rounds: { type: 'string' },
      stat: { type: 'string' },
      connections: { type: 'string' },
    },
  });
  const env: Record<string, string> = {};
  const set = (name: string, value: unknown): void => {
    if (typeof value === 'string' && value !== '') env[name] = value;
  };
  set('BENCH_DURATION', values.duration);
  set('BENCH_WARMUP', values.warmup);
  set('BENCH_ROUNDS', values.rounds);
  set('BENCH_STAT', values.stat);
  set('BENCH_CONNECTIONS', values.connections ?? process.env['BENCH_CONNECTIONS']);
  return env;
}

const mailerScript: Target = {
  name: 'mailer',
  async start(): Promise<RunningTarget> {
    const sink = spawnPinned(SERVER_CPU, process.execPath, [...NODE_ARGS, SINK_SCRIPT], {
      cwd: REPO_ROOT,
    });
    let code: number | null = 1;
    try {
      let port = '';
      for await (const line of sink.child.stdout ?? []) {
        const match = /port (\d+)/.exec(String(line));
        if (match?.[1] !== undefined) {
          port = match[1];
          break;
        }
      }
      if (port === '') throw new Error(`SMTP sink did not start:\n${sink.output()}`);
      console.error(
        `mailer: smtp-server sink on CPU ${SERVER_CPU} port ${port}; clients on CPU ${LOAD_CPU}`,
      );
      const proc = spawnPinned(LOAD_CPU, process.execPath, [...NODE_ARGS, CLIENT_SCRIPT], {
        env: { ...process.env, NODE_ENV: 'production', ...scriptEnv(), BENCH_SMTP_PORT: port },
        cwd: REPO_ROOT,
      });
      proc.child.stdout?.pipe(process.stdout);
      proc.child.stderr?.pipe(process.stderr);
      [code] = (await once(proc.child, 'close')) as [number | null];
    } finally {
      await sink.stop();
    }
    // Nothing to hand back to the wrk loop: the script's table is the result.
    process.exit(code ?? 1);
  },
};

export default defineSuite({
  name: 'mailer',
  description:
    '@rws/mailer pooled Mailer vs nodemailer pooled SMTP: messages/s to a local smtp-server',
  subject: 'mailer',
  targets: [mailerScript],
  // Never run: the target exits the harness after the script (see above). A suite needs a case.
  cases: [{ name: 'pool', load: { tool: 'wrk', path: '/', connections: 5 } }],
});
