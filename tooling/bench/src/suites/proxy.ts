/**
 * `pnpm bench proxy`: reverse proxies in front of ONE nginx upstream. The subject is the `rws`
 * binary in gateway mode (apps/rws-cli's dist, an rws.config.toml with one `[[upstream]]` and
 * one proxy `[[route]]`, its request ids and metrics on as by default); beside it @rws/proxy's
 * bare `reverseProxy` on @rws/http1, nginx `proxy_pass` over an `upstream { keepalive 64; }`
 * pool, `http-proxy` on node:http and `@fastify/http-proxy` on fastify.
 *
 * Access logs are compared like with like, as in the static suite: `keep-alive` and `100m`
 * run the gateway with `--access-log off` against nginx's `access_log off` (the Node peers
 * log nothing); `keep-alive-log` runs the gateway as users run it, `--access-log FILE` (JSON
 * lines, batched asynchronous writes), against nginx's default `access_log FILE` (combined
 * format, one write per request).
 *
 * The peers run as their documentation sets them up. `@fastify/http-proxy` is registered with
 * `upstream` alone: its defaults are @fastify/reply-from's undici Pool (128 keep-alive
 * connections, pipelining 1). `http-proxy` gets `agent: http.globalAgent` and `xfwd: true`:
 * without an `agent` option it does not use Node's (keep-alive since Node 19) global agent but
 * `agent: false` plus `Connection: close`, a new upstream connection per request, a setup
 * nobody compares with nginx's keep-alive pool; Node's documented default agent is what a user
 * who asks for connection reuse gets. See servers/node-http-proxy.ts. Its rate on a given
 * machine is bounded by node:http itself (one JS thread parsing, a ServerResponse and a
 * ClientRequest per request), so "4x http-proxy" is only meaningful next to nginx's own rate
 * on the same machine: where 4x http-proxy is above nginx's rate, meeting it means outrunning nginx.
 * `http-proxy-default` is the same server with no `agent` option, i.e. http-proxy exactly as
 * documented (a connection per request), reported beside it so both readings are measured.
 * `node-pipe` is not a proxy but a yardstick: each client connection piped 1:1 to its own
 * upstream connection with no HTTP work at all, Node's ceiling for this traffic.
 *
 * The upstream is nginx (one worker, access log off, keep-alive unlimited), started once per
 * case and shared by every target and round of it. It runs UNPINNED: on 2 cores the proxy
 * owns CPU 0 and wrk CPU 1, so there is no third core to give it; unpinned, the scheduler puts
 * it wherever there is slack, and it costs every target alike (nginx answering a 13-byte body
 * or sendfile-ing a file is cheap next to any proxy). On a machine with more cores, pinning
 * it to CPU 2 would be cleaner.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { NGINX_PROXY_LOCATION, nginxProxyUpstream } from '../nginx-proxy-config.js';
import { HELLO_BODY } from '../peers.js';
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
import type { Target, TargetContext } from '../types.js';

/** `host:port` of the case's upstream (every proxy target needs one). */
function upstreamAddress(context: TargetContext | undefined): string {
  if (context?.upstream === undefined) throw new Error('proxy suite: the case has no upstream');
  return new URL(context.upstream).host;
}

/** The backend of the keep-alive case: nginx answering `Hello, World!` (13 bytes). */
const helloUpstream: Target = nginxServer(
  'upstream',
  `    location / { return 200 "${HELLO_BODY}"; }`,
  { cpu: null },
);

/** The backend of the streaming case: nginx sendfile-ing the generated 100 MiB file. */
const filesUpstream: Target = {
  name: 'upstream',
  start: async (context) =>
    nginxServer(
      'upstream',
      `    root ${await staticFolder()};
    sendfile on;
    location / { }`,
      { cpu: null },
    ).start(context),
};

/**
 * The `rws` binary (`RWS_CLI`: apps/rws-cli/dist/cli.js, what `bin/rws.js` runs) started in
 * a temp dir holding its rws.config.toml, so it finds the file as a user's `rws` would.
 */
const rwsGateway: Target = {
  name: 'rws-gateway',
  async start(context) {
    const dir = await mkdtemp(join(tmpdir(), 'rws-bench-gateway-'));
    try {
      const port = await freePort();
      await writeFile(
        join(dir, 'rws.config.toml'),
        `ip = "127.0.0.1"
port = ${port}

[[upstream]]
name = "backend"
backends = ["${upstreamAddress(context)}"]

[[route]]
[route.match]
path = "/*"
[route.action]
type = "proxy"
upstream = "backend"
`,
      );
      // cwd is the temp dir, for the config file lookup; the CLI's imports resolve from its
      // own location, so nothing needs the repository as the working directory.
      const running = await startPinned(
        'rws-gateway',
        port,
        process.execPath,
        [
          ...nodeScriptArgs(RWS_CLI),
          '--access-log',
          context?.accessLogDir === undefined ? 'off' : join(context.accessLogDir, 'rws.log'),
        ],
        { cwd: dir },
      );
      return {
        url: running.url,
        async stop() {
          await running.stop();
          await rm(dir, { recursive: true, force: true });
        },
      };
    } catch (err) {
      await rm(dir, { recursive: true, force: true });
      throw err;
    }
  },
};

/** nginx as a reverse proxy (nginx-proxy-config.ts, shared with `bench:profile nginx-proxy`). */
const nginxProxy: Target = nginxServer(
  'nginx',
  (context) =>
    context.accessLogDir === undefined
      ? NGINX_PROXY_LOCATION
      : `    access_log ${join(context.accessLogDir, 'nginx.log')};\n${NGINX_PROXY_LOCATION}`,
  { http: (context) => nginxProxyUpstream(upstreamAddress(context)) },
);

export default defineSuite({
  name: 'proxy',
  description:
    'rws gateway / @rws/proxy vs nginx proxy_pass, http-proxy, @fastify/http-proxy: one nginx upstream',
  subject: 'rws-gateway',
  targets: [
    rwsGateway,
    nodeServer('rws-proxy-bare', serverScript('rws-proxy-bare.ts')),
    nginxProxy,
    nodeServer('http-proxy', serverScript('node-http-proxy.ts')),
    // http-proxy with no `agent` option: its own default, a new upstream connection per request.
    nodeServer('http-proxy-default', serverScript('node-http-proxy.ts'), {
      env: { HTTP_PROXY_AGENT: 'none' },
    }),
    nodeServer('fastify-proxy', serverScript('fastify-http-proxy.ts')),
    // Not a proxy: each connection piped 1:1 to the upstream, no HTTP (servers/node-pipe.ts),
    // the ceiling of any Node.js proxy on this machine.
    nodeServer('node-pipe', serverScript('node-pipe.ts')),
  ],
  cases: [
    {
      name: 'keep-alive',
      load: { tool: 'wrk', path: '/', connections: 100 },
      upstream: helloUpstream,
    },
    {
      name: 'keep-alive-log',
      load: { tool: 'wrk', path: '/', connections: 100 },
      upstream: helloUpstream,
      accessLog: true,
      targets: ['nginx'],
    },
    {
      name: '100m',
      load: { tool: 'wrk', path: '/100m.bin', connections: 4 },
      metric: 'transfer',
      upstream: filesUpstream,
    },
  ],
});
