/**
 * Subject: the `rws` binary's static file server on 127.0.0.1:$PORT, serving $STATIC_ROOT.
 *
 * The handler is the CLI's (apps/rws-cli/src/create-handler.ts) minus the access log, so the
 * comparison with nginx (`access_log off`) is about serving files: request id → CORS (the
 * CLI's defaults, i.e. inactive) → `serveStatic` with the CLI's options (directory listing,
 * no SPA fallback, `fallthrough: false`) → 404. The listener options come from the CLI's own
 * `toServeOptions(defaultConfig(root))` (one worker, default body limit), as `rws` would start.
 * Relative imports: the CLI, @rws/server and @rws/middleware are not dependencies of
 * @rws/bench; tsx maps the `.js` specifiers to the `.ts` sources.
 */
import { compose, type Handler, Headers } from '@rws/core';
import { defaultConfig } from '../../../../apps/rws-cli/src/config/schema.js';
import { toServeOptions } from '../../../../apps/rws-cli/src/to-serve-options.js';
import { cors } from '../../../../packages/middleware/src/cors/index.js';
import { requestId } from '../../../../packages/middleware/src/request-id/index.js';
import { serveStatic } from '../../../../packages/middleware/src/static/index.js';
import { serve } from '../../../../packages/server/src/index.js';

const port = Number(process.env['PORT'] ?? 3000);
const root = process.env['STATIC_ROOT'];
if (root === undefined || root === '') throw new Error('rws-static: STATIC_ROOT is not set');

const config = defaultConfig(root);
config.ip = '127.0.0.1';
config.port = port;
const c = config.cors;
const notFound: Handler = () => ({
  status: 404,
  headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
  body: 'Not Found\n',
});
const handler = compose(
  [
    requestId(),
    cors({
      allowAll: c.allowAll,
      allowOrigins: c.allowOrigins,
      allowMethods: c.allowMethods,
      allowHeaders: c.allowHeaders,
      allowCredentials: c.allowCredentials,
      exposeHeaders: c.exposeHeaders,
      maxAge: c.maxAge,
    }),
    serveStatic({
      root: config.root,
      directoryListing: config.directoryListing,
      spaFallback: config.spaFallback ?? false,
      spaFallbackExclude: config.spaFallbackExcludePrefixes,
      fallthrough: false,
    }),
  ],
  notFound,
);
await serve(handler, { ...toServeOptions(config), handleSignals: true });
