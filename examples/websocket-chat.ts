/**
 * websocket-chat — WebSocket from an ordinary route handler with `upgradeWebSocket`: the App's
 * middleware runs first (a request log here), `/chat` broadcasts every message to the room
 * with a `Topic` (each frame encoded once), and `/echo` echoes with permessage-deflate on.
 * The page at / opens a browser WebSocket to /chat.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/websocket-chat.ts
 * then open http://127.0.0.1:3000/ in two tabs, or from a shell with Node:
 *   node -e "const w=new WebSocket('ws://127.0.0.1:3000/echo');w.onmessage=e=>{console.log(e.data);w.close()};w.onopen=()=>w.send('hi')"
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { html } from '@rws/core';
import { createServer } from '@rws/http1';
import { createTopic, upgradeWebSocket } from '@rws/http1/websocket';
import { createApp } from '@rws/router';

const room = createTopic();
const app = createApp();

// Ordinary middleware sees the handshake like any request and could refuse it (auth, limits).
app.use((req, next) => {
  const upgrade = req.upgrade ? ` (upgrade: ${req.upgrade.protocol})` : '';
  console.log(`${req.method} ${req.path}${upgrade}`);
  return next(req);
});

app.get('/', () =>
  html(`<!doctype html>
<title>websocket chat</title>
<form id="f"><input id="m" autocomplete="off"><button>send</button></form>
<pre id="out"></pre>
<script>
  const out = document.getElementById('out');
  const ws = new WebSocket('ws://' + location.host + '/chat');
  ws.onmessage = (e) => { out.textContent = e.data + '\\n' + out.textContent; };
  document.getElementById('f').onsubmit = (e) => {
    e.preventDefault();
    ws.send(document.getElementById('m').value);
    document.getElementById('m').value = '';
  };
</script>`),
);

app.get('/chat', (req) =>
  upgradeWebSocket(req, {
    // Browsers send Origin: only pages served from this host may join.
    origin: true,
    onOpen: (ws) => {
      room.subscribe(ws);
      void room.publish(`someone joined (${room.size} here)`);
    },
    onMessage: (message) => room.publish(typeof message === 'string' ? message : '[binary]'),
    onClose: () => void room.publish(`someone left (${room.size} here)`),
  }),
);

app.get('/echo', (req) =>
  upgradeWebSocket(req, {
    deflate: true,
    // Async iteration: the next message is read only when the loop asks for it.
    onOpen: async (ws) => {
      for await (const message of ws) await ws.send(message);
    },
  }),
);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`websocket-chat listening on http://127.0.0.1:${port}/`);
