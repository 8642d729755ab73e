/**
 * Subject: the `rws` binary's static file server on 127.0.0.1:$PORT, serving $STATIC_ROOT.
 *
 * The handler is the CLI's (apps/rws-cli/src/create-handler.ts) minus the access log, so the
 * comparison with nginx (`access_log off`) is about serving files: request id → CORS (the
 * CLI's defaults, i.e. inactive) → `serveStatic` with the CLI's options (directory listing,
 * no SPA fallback, `fallthrough: false`) → 404. The listener options come from the CLI's own
 * `toServeOptions(defaultConfig(root))` (one worker, default body limit), as `rws` would start.
 * Relative imports: the CLI and @rws/server are not dependencies of @rws/bench; tsx maps the
 * `.js` specifiers to the `.ts` sources.
 */

import { defaultConfig } from '../../../../apps/rws-cli/src/config/schema.js';
import { createHandler } from '../../../../apps/rws-cli/src/create-handler.js';
import { toServeOptions } from '../../../../apps/rws-cli/src/to-serve-options.js';
import { serve } from '../../../../packages/server/src/index.js';

const port = Number(process.env['PORT'] ?? 3000);
const root = process.env['STATIC_ROOT'];
if (root === undefined || root === '') throw new Error('rws-static: STATIC_ROOT is not set');

const config = defaultConfig(root);
config.ip = '127.0.0.1';
config.port = port;
const handler = createHandler(config, { hasAccessLog: false });
await serve(handler, { ...toServeOptions(config), handleSignals: true });
