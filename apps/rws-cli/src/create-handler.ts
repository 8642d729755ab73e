import { type Handler, Headers, isPromise, type Middleware, type Response } from '@rws/core';
import { accessLog } from '@rws/middleware/access-log';
import { cors } from '@rws/middleware/cors';
import { requestId } from '@rws/middleware/request-id';
import { serveStatic } from '@rws/middleware/static';
import type { ServerConfig } from './config/server-config.js';
import { proxyLogFields } from './internal/proxy-log-fields.js';
import { siteAuth } from './internal/site-auth.js';

/** Options of `createHandler()`: where the access log goes (tests capture it). */
export interface CreateHandlerOptions {
  /** Receives each access-log line without its newline. Default: stdout. */
  writeLog?: ((line: string) => void) | undefined;
  /** Colour `pretty` lines. Default: stdout is a TTY and `NO_COLOR` is unset. */
  isTTY?: boolean | undefined;
  /** False leaves the access log out (benchmarks compare with nginx's `access_log off`). */
  hasAccessLog?: boolean | undefined;
  /**
   * The gateway (`createGateway()` of @rws/proxy) when the config has routes or upstreams. It
   * runs after CORS; requests no route matches go on to the static files when `root` was set
   * explicitly, else get 404 (the working directory is never served by accident). With it,
   * access-log lines of proxied requests carry `upstream`, `backend`, `attempts`,
   * `proxy_error` and `upstream_header_ms`.
   */
  gateway?: Middleware | undefined;
  /**
   * `tracing()` of @rws/middleware, first in the chain so its span covers everything: `rws`
   * sets it when an OTLP endpoint is configured (OTEL_EXPORTER_OTLP_ENDPOINT).
   */
  tracing?: Middleware | undefined;
}

/**
 * The handler `rws` serves for a configuration, outermost first: tracing (when given) →
 * request id → access log
 * (`config.logFormat`) → the configured `headers` → CORS (`config.cors`, only when `allowAll` or
 * `allowOrigins` is set) → basic auth (`config.basicAuth` / `basicAuthFile`, when set) → the
 * gateway, when given → static files from `config.root` (directory listing, SPA fallback,
 * `404.html`) → 404.
 *
 * Basic auth sits after CORS on purpose: browsers send CORS preflights (OPTIONS) without
 * credentials, so CORS answers them, and a 401 still carries the CORS headers the page needs to
 * read it. The server's `/healthz` and `/readyz` answer before this handler and stay open.
 *
 * Throws an `RwsError` when a value the config layer accepts is still invalid for a
 * middleware (e.g. a CORS origin with a path); `startServer` reports it.
 */
export function createHandler(config: ServerConfig, options: CreateHandlerOptions = {}): Handler {
  const c = config.cors;
  const files = serveStatic({
    root: config.root,
    directoryListing: config.directoryListing,
    spaFallback: config.spaFallback ?? false,
    spaFallbackExclude: config.spaFallbackExcludePrefixes,
    fallthrough: false,
    dotfiles: config.dotfiles,
    compression: config.compression,
    precompressed: config.compression,
    cacheControl:
      config.cacheMaxAge === 0
        ? 'public, max-age=0, must-revalidate'
        : `public, max-age=${config.cacheMaxAge}`,
    immutable: config.cacheImmutable,
    // A static server's main job: files up to 1 MiB are sent from memory from their second
    // request on (64 MiB in all), where Node, lacking sendfile, would otherwise open, stat and
    // read them on the thread pool per request.
    memoryCacheMaxFileBytes: 1024 * 1024,
    memoryCacheMaxBytes: 64 * 1024 * 1024,
  });
  const extraHeaders = Object.entries(config.headers);
  // With fallthrough: false serveStatic answers every request itself; this only guards a
  // future change of that contract.
  const notFound: Handler = () => ({
    status: 404,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: 'Not Found\n',
  });
  const isTTY = options.isTTY ?? process.stdout.isTTY === true;
  const log = accessLog({
    format: resolveLogFormat(config.logFormat, isTTY),
    write: options.writeLog,
    isTTY,
    ...(options.gateway === undefined ? {} : { fields: proxyLogFields }),
  });
  const auth = siteAuth(config);
  const gateway = options.gateway;
  const tail: Middleware[] =
    gateway === undefined ? [files] : config.isRootSet ? [gateway, files] : [gateway];
  const chain: Middleware[] = [
    ...(options.tracing === undefined ? [] : [options.tracing]),
    // The id comes first so the access log line carries it.
    requestId(),
    ...(options.hasAccessLog === false ? [] : [log]),
    ...(extraHeaders.length > 0 ? [setHeaders(extraHeaders)] : []),
    // CORS off (the default) means no CORS headers at all, not a policy that allows nothing.
    ...(c.allowAll || c.allowOrigins.length > 0
      ? [
          cors({
            allowAll: c.allowAll,
            allowOrigins: c.allowOrigins,
            allowMethods: c.allowMethods,
            allowHeaders: c.allowHeaders,
            allowCredentials: c.allowCredentials,
            exposeHeaders: c.exposeHeaders,
            maxAge: c.maxAge,
          }),
        ]
      : []),
    ...(auth === null ? [] : [auth]),
    ...tail,
  ];
  // compose() without its guard against a second `next()`: the guard costs a closure and a
  // context per layer and request (issue #10), and these middleware, all of them rws's own,
  // call `next` at most once. Each `next` is made here, once per configuration.
  return chain.reduceRight<Handler>(
    (next, middleware) => (req) => middleware.handle(req, next),
    notFound,
  );
}

/** Sets the configured `headers` on every response (replacing a value the handler set). */
function setHeaders(headers: readonly [string, string][]): Middleware {
  const set = (res: Response): Response => {
    for (const [name, value] of headers) res.headers.set(name, value);
    return res;
  };
  return {
    // A synchronous answer stays synchronous: no promise for a layer that only edits headers.
    handle(req, next) {
      const res = next(req);
      return isPromise(res) ? res.then(set) : set(res);
    },
  };
}

/** `auto` picks the coloured one-line format for people at a terminal and JSON for machines. */
function resolveLogFormat(
  format: ServerConfig['logFormat'],
  isTTY: boolean,
): 'json' | 'combined' | 'pretty' {
  if (format !== 'auto') return format;
  return isTTY ? 'pretty' : 'json';
}
