import cluster from 'node:cluster';
import {
  attachWorker,
  ClusterPrimary,
  isClusterWorker,
  workerPortOverrides,
} from './internal/cluster.js';
import { resolveOptions, toHandler } from './internal/options.js';
import { SingleServer } from './internal/single-server.js';
import type { RunningServer, Servable, ServeOptions } from './types.js';

/**
 * Serves `app` (a core `Handler`, or an `App` exposing `handler`) with HTTP/1.1 on
 * `host:port`, over TLS when `tlsCertFile`/`tlsKeyFile` are given, with `/healthz`, `/readyz`
 * and `/metrics` built in. Resolves once every listener is bound.
 *
 * With `workers > 1` (or `'auto'`), the call in the cluster primary forks the running script
 * that many times and resolves with a handle coordinating the workers; the same call in each
 * worker serves the app. Options are validated first: a bad option or certificate rejects
 * (`RWS_SERVER_INVALID_OPTIONS`, `RWS_SERVER_TLS_LOAD_FAILED`) before anything listens.
 *
 * @example
 * ```ts
 * import { text } from '@rws/core';
 * import { serve } from '@rws/server';
 *
 * const server = await serve(() => text('hello'), { port: 0 });
 * console.log(server.url); // http://127.0.0.1:<port>
 * await server.close();
 * ```
 */
export async function serve(app: Servable, options: ServeOptions = {}): Promise<RunningServer> {
  const resolved = resolveOptions(options);
  toHandler(app); // fail fast on a non-handler, even in a cluster primary
  if (isClusterWorker()) {
    // A restarted worker binds the port the first workers got (matters with port 0).
    const overrides = workerPortOverrides();
    if (overrides.port !== null) resolved.port = overrides.port;
    if (overrides.redirectPort !== null && resolved.httpRedirectPort !== null) {
      resolved.httpRedirectPort = overrides.redirectPort;
    }
    const server = await SingleServer.start(app, resolved, 'worker');
    attachWorker(server, resolved);
    return server;
  }
  if (resolved.workers > 1 && cluster.isPrimary) return ClusterPrimary.start(resolved);
  return SingleServer.start(app, resolved);
}
