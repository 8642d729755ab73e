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
import { announced, flagEnv, runScript, sourceScriptArgs } from '../bench-script.js';
import { LOAD_CPU, SERVER_CPU, spawnPinned } from '../process.js';
import { defineSuite } from '../suite.js';
import { REPO_ROOT } from '../targets.js';
import type { RunningTarget, Target } from '../types.js';

const BENCH_DIR = new URL('../../../../packages/mailer/bench/', import.meta.url);
const SINK_SCRIPT = new URL('smtp-sink-process.ts', BENCH_DIR).pathname;
const CLIENT_SCRIPT = new URL('mailer-vs-nodemailer.ts', BENCH_DIR).pathname;

function scriptEnv(): Record<string, string> {
  const env = flagEnv({
    BENCH_DURATION: 'duration',
    BENCH_WARMUP: 'warmup',
    BENCH_ROUNDS: 'rounds',
    BENCH_STAT: 'stat',
    BENCH_CONNECTIONS: 'connections',
  });
  const connections = process.env['BENCH_CONNECTIONS'];
  if (env['BENCH_CONNECTIONS'] === undefined && connections !== undefined && connections !== '') {
    env['BENCH_CONNECTIONS'] = connections;
  }
  return env;
}

const mailerScript: Target = {
  name: 'mailer',
  async start(): Promise<RunningTarget> {
    const sink = spawnPinned(SERVER_CPU, process.execPath, sourceScriptArgs(SINK_SCRIPT), {
      cwd: REPO_ROOT,
    });
    let code: number | null = 1;
    try {
      const port = await announced(sink, /port (\d+)/, 'SMTP sink');
      console.error(
        `mailer: smtp-server sink on CPU ${SERVER_CPU} port ${port}; clients on CPU ${LOAD_CPU}`,
      );
      code = await runScript(LOAD_CPU, sourceScriptArgs(CLIENT_SCRIPT), {
        ...scriptEnv(),
        BENCH_SMTP_PORT: port,
      });
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
