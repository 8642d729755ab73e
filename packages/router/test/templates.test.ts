/**
 * Templates (issue #23): the Eta adapter behind createTemplates(), rendered over a real
 * @rws/http1 socket; escaping, layouts/partials, missing templates and reload on change/SIGHUP.
 */
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { html, isRwsError } from '@rws/core';
import { createServer } from '@rws/http1';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { etaEngine } from '../src/engines/eta.js';
import { createApp } from '../src/index.js';
import { createTemplates } from '../src/templates.js';

let dir = '';

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'rws-templates-'));
  await mkdir(join(dir, 'partials'));
  await writeFile(
    join(dir, 'layout.eta'),
    '<html><title><%= it.title %></title><body><%~ it.body %></body></html>',
  );
  await writeFile(join(dir, 'nav.eta'), '<nav>hi <%= it.user %></nav>');
  await writeFile(
    join(dir, 'page.eta'),
    "<% layout('./layout') %><%~ await includeAsync('./nav', it) %><p><%= it.comment %></p><div><%~ it.trusted %></div>",
  );
  await writeFile(join(dir, 'partials', 'broken.eta'), "<%~ await includeAsync('../nope', it) %>");
  await writeFile(join(dir, 'live.eta'), 'version one');
});

afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

async function serve(templates: ReturnType<typeof createTemplates>): Promise<string> {
  const app = createApp({ logger: { error() {} } });
  app.get('/:name', async (req) =>
    html(
      await templates.render(req.params.name, {
        title: 'T',
        user: '<b>u</b>',
        comment: '<script>alert(1)</script>',
        trusted: '<em>ok</em>',
      }),
    ),
  );
  const server = createServer(app.handler);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 1000 }));
  return `http://127.0.0.1:${port}`;
}

describe('templates with Eta', () => {
  it('escapes interpolated values; raw output only where the template marks it', async () => {
    await using templates = createTemplates({ dir, engine: etaEngine(), reloadOnSighup: false });
    const base = await serve(templates);
    const res = await fetch(`${base}/page`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/html/);
    const body = await res.text();
    expect(body).not.toContain('<script>');
    expect(body).toContain('<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>');
    expect(body).toContain('<div><em>ok</em></div>');
  });

  it('wraps a page in its layout and includes partials', async () => {
    await using templates = createTemplates({ dir, engine: etaEngine(), reloadOnSighup: false });
    const out = await templates.render('page', {
      title: 'Home & co',
      user: 'ada',
      comment: 'c',
      trusted: '',
    });
    expect(out).toBe(
      '<html><title>Home &amp; co</title><body><nav>hi ada</nav><p>c</p><div></div></body></html>',
    );
  });

  it('names a missing template (and a missing partial) in a clear error', async () => {
    await using templates = createTemplates({ dir, engine: etaEngine(), reloadOnSighup: false });
    const err = await templates.render('no-such-page').catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_ROUTER_TEMPLATE_NOT_FOUND')).toBe(true);
    expect((err as Error).message).toContain('"no-such-page"');
    expect((err as { status?: number }).status).toBe(500);
    const partial = await templates.render('partials/broken').catch((e: unknown) => e);
    expect(isRwsError(partial, 'RWS_ROUTER_TEMPLATE_NOT_FOUND')).toBe(true);
    expect((partial as Error).message).toContain('nope.eta');
    const base = await serve(templates);
    expect((await fetch(`${base}/no-such-page`)).status).toBe(500);
  });

  it('reads templates from RWS_CONFIG_TEMPLATE_DIR when no dir is given', async () => {
    const before = process.env['RWS_CONFIG_TEMPLATE_DIR'];
    process.env['RWS_CONFIG_TEMPLATE_DIR'] = dir;
    onTestFinished(() => {
      if (before === undefined) delete process.env['RWS_CONFIG_TEMPLATE_DIR'];
      else process.env['RWS_CONFIG_TEMPLATE_DIR'] = before;
    });
    await using templates = createTemplates({ engine: etaEngine(), reloadOnSighup: false });
    expect(templates.dir).toBe(dir);
    expect(await templates.render('nav', { user: 'x' })).toBe('<nav>hi x</nav>');
  });

  it('serves the edited file after a change when watching (no restart)', async () => {
    await using templates = createTemplates({
      dir,
      engine: etaEngine(),
      watch: true,
      reloadOnSighup: false,
    });
    const base = await serve(templates);
    expect(await (await fetch(`${base}/live`)).text()).toBe('version one');
    await writeFile(join(dir, 'live.eta'), 'version two');
    // fs.watch events arrive asynchronously and the reload is debounced: poll generously.
    const deadline = Date.now() + 10_000;
    let body = '';
    while (Date.now() < deadline) {
      body = await (await fetch(`${base}/live`)).text();
      if (body === 'version two') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(body).toBe('version two');
    await writeFile(join(dir, 'live.eta'), 'version one');
  }, 20_000);

  it('keeps compiled templates until SIGHUP, then reads the files again', async () => {
    await writeFile(join(dir, 'hup.eta'), 'before');
    await using templates = createTemplates({ dir, engine: etaEngine() });
    expect(await templates.render('hup')).toBe('before');
    await writeFile(join(dir, 'hup.eta'), 'after');
    expect(await templates.render('hup')).toBe('before');
    process.emit('SIGHUP', 'SIGHUP');
    expect(await templates.render('hup')).toBe('after');
  });

  it('close() removes its SIGHUP listener', async () => {
    const count = process.listenerCount('SIGHUP');
    const templates = createTemplates({ dir, engine: etaEngine() });
    expect(process.listenerCount('SIGHUP')).toBe(count + 1);
    await templates.close();
    expect(process.listenerCount('SIGHUP')).toBe(count);
  });
});
