/** Peer: hono on @hono/node-server, hello world on 127.0.0.1:$PORT. */
import { serve } from '@hono/node-server';
import { Hono } from 'hono';

const port = Number(process.env['PORT'] ?? 3000);
const app = new Hono();
app.get('/', (c) => c.text('Hello, World!'));
serve({ fetch: app.fetch, port, hostname: '127.0.0.1' });
