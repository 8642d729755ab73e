import { type Handler, Headers } from '@rws/core';
import { serveStatic } from '@rws/middleware/static';
import type { ServerConfig } from './config/schema.js';

/**
 * The handler `rws` serves for a configuration: static files from `config.root` with its
 * directory listing and SPA fallback settings, answering 404 (with `404.html` when present)
 * and 405 itself. `startServer` hands it to `@rws/server` once that is wired; CORS and the
 * access log join when their middleware lands.
 */
export function createHandler(config: ServerConfig): Handler {
  const files = serveStatic({
    root: config.root,
    directoryListing: config.directoryListing,
    spaFallback: config.spaFallback ?? false,
    spaFallbackExclude: config.spaFallbackExcludePrefixes,
    fallthrough: false,
  });
  // With fallthrough: false serveStatic answers every request itself; this only guards a
  // future change of that contract.
  const notFound: Handler = () => ({
    status: 404,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: 'Not Found\n',
  });
  return (req) => files.handle(req, notFound);
}
