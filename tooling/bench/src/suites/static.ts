/**
 * `pnpm bench static`: the `rws` CLI's static file handler (access log off) on @rws/server vs
 * nginx serving the same generated folder (`root`, `sendfile on`, `access_log off`, one
 * worker, keep-alive unlimited): a 1 KiB and a 1 MiB file at 100 keep-alive connections
 * (req/s), and a 100 MiB file at 4 connections, where the table adds wrk's `Transfer/sec`
 * (MiB/s) and the ratio is computed on it.
 */
import { staticFolder } from '../static-files.js';
import { defineSuite } from '../suite.js';
import { nginxServer, nodeServer, serverScript } from '../targets.js';
import type { Target } from '../types.js';

/** rws-static.ts with STATIC_ROOT set to the generated folder. */
const rws: Target = {
  name: 'rws-static',
  start: async () =>
    nodeServer('rws-static', serverScript('rws-static.ts'), {
      env: { STATIC_ROOT: await staticFolder() },
    }).start(),
};

/** nginx serving the folder from disk with sendfile (the `server {}` body of nginxServer). */
const nginx: Target = {
  name: 'nginx',
  start: async () =>
    nginxServer(
      'nginx',
      `    root ${await staticFolder()};
    sendfile on;
    location / { }`,
    ).start(),
};

export default defineSuite({
  name: 'static',
  description: 'rws CLI static files (@rws/middleware/static) vs nginx: 1 KiB, 1 MiB, 100 MiB',
  subject: 'rws-static',
  targets: [rws, nginx],
  cases: [
    { name: '1k', load: { tool: 'wrk', path: '/1k.bin', connections: 100 } },
    { name: '1m', load: { tool: 'wrk', path: '/1m.bin', connections: 100 } },
    {
      name: '100m',
      load: { tool: 'wrk', path: '/100m.bin', connections: 4 },
      metric: 'transfer',
    },
  ],
});
