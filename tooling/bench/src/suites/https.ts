/**
 * `pnpm bench https` (issue #11): HTTP/1.1 over TLS, every server with the same self-signed
 * P-256 certificate (src/tls-cert.ts) and the same cipher, TLS 1.3 TLS_AES_128_GCM_SHA256 only
 * (servers/tls-pinned.ts; nginx `ssl_protocols TLSv1.3` + `ssl_conf_command Ciphersuites`).
 * wrk speaks HTTPS and reuses each connection, so handshakes are not what is measured.
 *
 * Targets: `rws-tls`, the `rws` binary as users run it (`--root DIR --tls-cert-file
 * --tls-key-file`, access log on to a file); nginx `listen ssl` serving the same folder (access
 * log on to a file); on the hello and 1 KiB cases, `rws-http1-tls` (`@rws/http1` with a core
 * handler) and `node-https` (node:https with a request listener). Cases: `hello` (the binary
 * and nginx serve the 13-byte `hello.txt`; the two Node servers answer from memory), `1k`
 * (`-c100`, req/s) and `100m` (`-c4`, MiB/s; the binary and nginx only).
 *
 * The Node servers' 1 KiB answer: the folder's `1k.bin` read into memory once at start and
 * sent with `Content-Type` and `Content-Length` (`res.end(buffer)` on node:https), no
 * `ETag`/`Last-Modified`, no log. That is the best a hand-written node:https server does for a
 * small file, and the strategy of the `rws` binary too (it keeps files up to 1 MiB in memory);
 * a per-request `fs.createReadStream(...).pipe(res)` (what `send`/`serve-static` do) would make
 * node:https slower for reasons that have nothing to do with TLS.
 */
import { join } from 'node:path';
import { freePort } from '../process.js';
import { PINNED_CIPHER } from '../servers/tls-pinned.js';
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
import type { Target } from '../types.js';

/** The `rws` binary from source serving the static folder over TLS, access log to a file. */
const rws: Target = {
  name: 'rws-tls',
  async start(context) {
    const tls = context?.tls;
    const logDir = context?.accessLogDir;
    if (tls === undefined || logDir === undefined)
      throw new Error('rws-tls: TLS logging cases only');
    const port = await freePort();
    return startPinned(
      'rws-tls',
      port,
      process.execPath,
      [
        ...nodeScriptArgs(RWS_CLI),
        '--ip',
        '127.0.0.1',
        '--port',
        String(port),
        '--root',
        await staticFolder(),
        '--tls-cert-file',
        tls.certFile,
        '--tls-key-file',
        tls.keyFile,
        '--tls-ciphers',
        PINNED_CIPHER,
        '--tls-min-version',
        '1.3',
        '--access-log',
        join(logDir, 'rws-tls.log'),
      ],
      { scheme: 'https' },
    );
  },
};

/** nginx `listen ssl` serving the folder, same certificate and cipher, access log to a file. */
const nginx: Target = {
  name: 'nginx',
  start: async (context) =>
    nginxServer(
      'nginx',
      `    ssl_protocols TLSv1.3;
    ssl_conf_command Ciphersuites ${PINNED_CIPHER};
    root ${await staticFolder()};
    sendfile on;
${context?.accessLogDir === undefined ? '' : `    access_log ${join(context.accessLogDir, 'nginx.log')};\n`}    location / { }`,
    ).start(context),
};

/**
 * A Node server of servers/ with `STATIC_ROOT` set to the bench folder, so it can answer
 * `/1k.bin` from memory (every other path is its hello world).
 */
function nodeFileServer(name: string): Target {
  return {
    name,
    start: async (context) =>
      nodeServer(name, serverScript(`${name}.ts`), {
        env: { STATIC_ROOT: await staticFolder() },
      }).start(context),
  };
}

/** The 1 KiB case: every target. The 100 MiB one: the two servers of real files. */
const SMALL_FILE_SERVERS = ['rws-http1-tls', 'node-https', 'nginx'];
const FILE_SERVERS = ['nginx'];
/** Every case: the bench certificate, and access logs on to files. */
const OVER_TLS = { tls: true, accessLog: true } as const;

export default defineSuite({
  name: 'https',
  description:
    'HTTPS (TLS 1.3, AES-128-GCM): rws binary vs nginx ssl, @rws/http1 and node:https (hello world, 1 KiB)',
  subject: 'rws-tls',
  targets: [rws, nodeFileServer('rws-http1-tls'), nodeFileServer('node-https'), nginx],
  cases: [
    { name: 'hello', load: { tool: 'wrk', path: '/hello.txt', connections: 100 }, ...OVER_TLS },
    {
      name: '1k',
      load: { tool: 'wrk', path: '/1k.bin', connections: 100 },
      targets: SMALL_FILE_SERVERS,
      ...OVER_TLS,
    },
    {
      name: '100m',
      load: { tool: 'wrk', path: '/100m.bin', connections: 4 },
      metric: 'transfer',
      targets: FILE_SERVERS,
      ...OVER_TLS,
    },
  ],
});
