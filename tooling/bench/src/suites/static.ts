/**
 * `pnpm bench static`: the `rws` static file server vs nginx serving the same generated folder
 * (`root`, `sendfile on`, one worker, keep-alive unlimited): a 1 KiB and a 1 MiB file at 100
 * keep-alive connections (req/s), and a 100 MiB file at 4 connections, where the table adds
 * wrk's `Transfer/sec` (MiB/s) and the ratio is computed on it.
 *
 * Each size runs twice. Logging off (`1k`, `1m`, `100m`): the CLI's handler without its access
 * log (rws-static.ts) against nginx with `access_log off`. Logging on (`1k-log`, `1m-log`,
 * `100m-log`): the `rws` binary as users run it, `rws --root DIR --access-log FILE` (its default
 * JSON lines, batched asynchronous writes), against nginx's default `access_log FILE` (combined
 * format, one write per request).
 */
import { join } from 'node:path';
import { freePort } from '../process.js';
import { staticFolder } from '../static-files.js';
import { defineSuite } from '../suite.js';
import {
  nginxServer,
  nodeScriptArgs,
  nodeServer,
  RWS_CLI,
  serverScript,
  startPinned,
} from '../targets.js';
import type { Target, WrkLoad } from '../types.js';

/**
 * Logging off: rws-static.ts with STATIC_ROOT set to the generated folder. Logging on: the
 * `rws` binary from source with `--access-log <dir>/rws-static.log`.
 */
const rws: Target = {
  name: 'rws-static',
  async start(context) {
    const root = await staticFolder();
    const logDir = context?.accessLogDir;
    if (logDir === undefined) {
      return nodeServer('rws-static', serverScript('rws-static.ts'), {
        env: { STATIC_ROOT: root },
      }).start(context);
    }
    const port = await freePort();
    return startPinned('rws-static', port, process.execPath, [
      ...nodeScriptArgs(RWS_CLI),
      '--ip',
      '127.0.0.1',
      '--port',
      String(port),
      '--root',
      root,
      '--access-log',
      join(logDir, 'rws-static.log'),
    ]);
  },
};

/** nginx serving the folder from disk with sendfile; on a logging case `access_log FILE`. */
const nginx: Target = {
  name: 'nginx',
  start: async (context) =>
    nginxServer(
      'nginx',
      `    root ${await staticFolder()};
    sendfile on;
${context?.accessLogDir === undefined ? '' : `    access_log ${join(context.accessLogDir, 'nginx.log')};\n`}    location / { }`,
    ).start(context),
};

const SIZES: readonly { name: string; load: WrkLoad; metric?: 'transfer' }[] = [
  { name: '1k', load: { tool: 'wrk', path: '/1k.bin', connections: 100 } },
  { name: '1m', load: { tool: 'wrk', path: '/1m.bin', connections: 100 } },
  { name: '100m', load: { tool: 'wrk', path: '/100m.bin', connections: 4 }, metric: 'transfer' },
];

export default defineSuite({
  name: 'static',
  description:
    'rws static files vs nginx: 1 KiB, 1 MiB, 100 MiB, access logs off and on (to a file)',
  subject: 'rws-static',
  targets: [rws, nginx],
  cases: [...SIZES, ...SIZES.map((s) => ({ ...s, name: `${s.name}-log`, accessLog: true }))],
});
