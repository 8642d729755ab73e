/**
 * templates-eta — server-side HTML with `@rws/router/templates` and the Eta adapter: a layout,
 * a partial, autoescaped values, reload on SIGHUP and (with NODE_ENV=development) on file change.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/templates-eta.ts
 * then:
 *   curl http://127.0.0.1:3000/
 *   curl http://127.0.0.1:3000/hello/%3Cscript%3Ealert(1)%3C%2Fscript%3E   # escaped
 *   curl http://127.0.0.1:3000/missing                                     # 500, names the template
 *   kill -HUP <pid>   # re-read examples/views after editing it
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 * RWS_CONFIG_TEMPLATE_DIR overrides the template directory.
 */
import { fileURLToPath } from 'node:url';
import { html } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp } from '@rws/router';
import { createTemplates } from '@rws/router/templates';
import { etaEngine } from '@rws/router/templates/eta';

// `eta` is an optional peer of @rws/router: the app installs it (`pnpm add eta`).
const templates = createTemplates({
  dir: process.env['RWS_CONFIG_TEMPLATE_DIR'] ?? fileURLToPath(new URL('./views', import.meta.url)),
  engine: etaEngine(),
});

const app = createApp();
app.get('/', async () =>
  html(
    await templates.render('home', {
      title: 'rws templates',
      links: [{ href: '/hello/ada', label: 'Say hello to <Ada>' }],
    }),
  ),
);
app.get('/hello/:name', async (req) =>
  html(
    await templates.render('hello', {
      title: `Hello ${req.params.name}`,
      name: req.params.name,
      now: new Date().toISOString(),
    }),
  ),
);
// A missing template is an RwsError (RWS_ROUTER_TEMPLATE_NOT_FOUND, 500) naming it.
app.get('/missing', async () => html(await templates.render('no-such-page')));

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`templates-eta listening on http://127.0.0.1:${port}/ (templates in ${templates.dir})`);
