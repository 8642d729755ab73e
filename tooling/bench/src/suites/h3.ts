/**
 * `pnpm bench h3` (issue #21): the `rws` binary's HTTP/3 against caddy's (quic-go), with
 * HTTP/2 and HTTP/1.1-over-TLS downloads as context; see ../h3-bench.ts for the cases and what
 * is reported. gtlsclient and curl are no wrk-style load of the harness, so (as
 * the `ws` suite does) the single target runs the whole comparison in `start()`, prints its
 * table and exits the harness. Flags: --rounds; env BENCH_H3_MB, BENCH_H3_REQUESTS,
 * BENCH_H3_PROFILE=1.
 */
import { runH3Bench } from '../h3-bench.js';
import { defineSuite } from '../suite.js';
import type { RunningTarget, Target } from '../types.js';

const runner: Target = {
  name: 'h3',
  async start(): Promise<RunningTarget> {
    const code = await runH3Bench(process.argv.slice(2));
    // Nothing to hand back to the wrk loop: the table printed above is the result.
    process.exit(code);
  },
};

export default defineSuite({
  name: 'h3',
  description: 'rws HTTP/3 vs caddy (quic-go): req/s and 100 MiB via gtlsclient, h2/h1 context',
  subject: 'h3',
  targets: [runner],
  // Never run: the target exits the harness after the comparison (see above).
  cases: [{ name: 'h3-vs-caddy', load: { tool: 'wrk', path: '/', connections: 10 } }],
});
