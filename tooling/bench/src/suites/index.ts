/**
 * The suite registry: `pnpm bench <name>` looks the name up here. Suites load lazily so one
 * suite's server dependencies never stop another from running.
 */
import type { Suite } from '../types.js';

type SuiteModule = { default: Suite };

export const SUITES: Readonly<Record<string, () => Promise<SuiteModule>>> = {
  'hello-peers': () => import('./hello-peers.js'),
  http1: () => import('./http1.js'),
  router: () => import('./router.js'),
  app: () => import('./app.js'),
  static: () => import('./static.js'),
  https: () => import('./https.js'),
  'http1-client': () => import('./http1-client.js'),
  proxy: () => import('./proxy.js'),
  h2: () => import('./h2.js'),
  storage: () => import('./storage.js'),
  mcp: () => import('./mcp.js'),
  'h2-memory': () => import('./h2-memory.js'),
  middleware: () => import('./middleware.js'),
  mailer: () => import('./mailer.js'),
  ws: () => import('./ws.js'),
  orm: () => import('./orm.js'),
  h3: () => import('./h3.js'),
};
