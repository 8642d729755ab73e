/**
 * `[[ws_proxy]]`: a listener of its own relaying WebSocket handshakes, then bytes, to
 * health-checked `ws://` backends; kept, swapped and closed on reload like the L4 listeners.
 */
import { createServer as createHttpsServer } from 'node:https';
import { connect as netConnect } from 'node:net';
import { createTestCertificates } from '@rws/test-helpers';
import { describe, expect, it, onTestFinished } from 'vitest';
import WebSocket, { WebSocketServer } from 'ws';
import { createGateway, formatConfigProblem, parseGatewayConfig } from '../src/index.js';
import { startBackend } from './gateway-helpers.js';

/** A ws echo server tagging replies with `tag`; `/health` answers `healthStatus()`. */
async function wsBackend(tag: string, healthStatus = () => 200) {
  const b = await startBackend(tag, (req, res) => {
    res.writeHead(req.url === '/health' ? healthStatus() : 200);
    res.end(tag);
  });
  const wss = new WebSocketServer({ server: b.server });
  onTestFinished(() => new Promise<void>((r) => wss.close(() => r())));
  wss.on('connection', (socket) => socket.on('message', (m) => socket.send(`${tag}:${m}`)));
  return { ...b, wss };
}

function open(url: string): Promise<WebSocket> {
  return new Promise((resolve, reject) => {
    const ws = new WebSocket(url);
    onTestFinished(() => ws.terminate());
    ws.on('error', reject);
    ws.once('open', () => resolve(ws));
    ws.once('unexpected-response', (_req, res) => reject(new Error(`status ${res.statusCode}`)));
  });
}

function ask(ws: WebSocket, text: string): Promise<string> {
  return new Promise((resolve) => {
    ws.once('message', (m) => resolve(String(m)));
    ws.send(text);
  });
}

function rawGet(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = netConnect(port, '127.0.0.1', () =>
      socket.write('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n'),
    );
    let data = '';
    socket.on('data', (d) => {
      data += d;
    });
    socket.on('end', () => resolve(data));
    socket.on('error', reject);
  });
}

const wsProxy = (backends: string[], extra = '') =>
  `[[ws_proxy]]\nname = "live"\nlisten = "127.0.0.1:0"\nbackends = [${backends.map((b) => `"${b}"`).join(', ')}]\n${extra}`;

describe('[[ws_proxy]]', () => {
  it('relays WebSockets round robin over its backends; other requests get 400', async () => {
    const a = await wsBackend('a');
    const b = await wsBackend('b');
    const gateway = await createGateway(
      wsProxy([`ws://127.0.0.1:${a.port}`, `127.0.0.1:${b.port}`], 'connect_timeout_ms = 500\n'),
    );
    onTestFinished(() => gateway.close());
    const [l] = gateway.listeners;
    expect([l?.kind, l?.name, l?.host]).toEqual(['ws', 'live', '127.0.0.1']);
    const url = `ws://127.0.0.1:${l!.port}/chat`;
    const first = await open(url);
    const second = await open(url);
    const answers = [await ask(first, 'x'), await ask(second, 'y')].sort();
    expect(answers).toEqual(['a:x', 'b:y']);
    // Bytes keep flowing after the handshake, on the same backend.
    expect((await ask(first, 'z')).slice(1)).toBe(':z');
    const plain = await rawGet(l!.port);
    expect(plain).toMatch(/^HTTP\/1\.1 400 /);
    expect(plain).toContain('accepts WebSocket upgrade requests only');
  });

  it('answers 503 once health checks take every backend out, 502 when a backend refuses connections', async () => {
    let health = 200;
    const a = await wsBackend('a', () => health);
    const gateway = await createGateway(
      wsProxy(
        [`ws://127.0.0.1:${a.port}`],
        '[ws_proxy.health_check]\npath = "/health"\ninterval_secs = 1\ntimeout_ms = 500\nunhealthy_threshold = 1\nhealthy_threshold = 1\n',
      ) +
        // A second listener whose only backend is down.
        `[[ws_proxy]]\nlisten = "127.0.0.1:0"\nbackends = ["ws://127.0.0.1:1"]\n`,
    );
    onTestFinished(() => gateway.close());
    const [live, dead] = gateway.listeners;
    expect(await ask(await open(`ws://127.0.0.1:${live!.port}/`), 'up')).toBe('a:up');
    health = 500;
    const deadline = Date.now() + 5000;
    let refusal = '';
    while (Date.now() < deadline) {
      refusal = await open(`ws://127.0.0.1:${live!.port}/`).then(
        () => 'opened',
        (err: Error) => err.message,
      );
      if (refusal === 'status 503') break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(refusal).toBe('status 503');
    await expect(open(`ws://127.0.0.1:${dead!.port}/`)).rejects.toThrow('status 502');
  });

  it('a reload keeps an unchanged listener (open WebSockets go on) and closes a removed one', async () => {
    const a = await wsBackend('a');
    const first = wsProxy([`ws://127.0.0.1:${a.port}`]);
    const other = `[[ws_proxy]]\nname = "other"\nlisten = "127.0.0.1:0"\nbackends = ["ws://127.0.0.1:${a.port}"]\n`;
    const gateway = await createGateway(first + other);
    onTestFinished(() => gateway.close());
    const [live, gone] = gateway.listeners;
    const ws = await open(`ws://127.0.0.1:${live!.port}/`);
    expect(await ask(ws, '1')).toBe('a:1');
    const result = await gateway.reload(first);
    expect(result).toEqual({ isApplied: true, problems: [] });
    expect(gateway.listeners.map((l) => [l.kind, l.name, l.port])).toEqual([
      ['ws', 'live', live!.port],
    ]);
    expect(await ask(ws, '2')).toBe('a:2');
    await expect(open(`ws://127.0.0.1:${gone!.port}/`)).rejects.toThrow(/ECONNREFUSED/);
  });

  it('reaches wss:// backends with [ws_proxy.tls] (CA file, SNI name); an unreadable file stops the start', async () => {
    const certs = createTestCertificates({ prefix: 'rws-ws-proxy-', serverNames: ['ws.rws.test'] });
    onTestFinished(() => certs.cleanup());
    const server = createHttpsServer({ key: certs.server.key, cert: certs.server.cert });
    const wss = new WebSocketServer({ server });
    wss.on('connection', (socket) => socket.on('message', (m) => socket.send(`tls:${m}`)));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    onTestFinished(async () => {
      await new Promise<void>((r) => wss.close(() => r()));
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    });
    const port = (server.address() as { port: number }).port;
    const toml = (caFile: string) =>
      wsProxy(
        [`wss://127.0.0.1:${port}`],
        `[ws_proxy.tls]\nca_file = "${caFile}"\nserver_name = "ws.rws.test"\n`,
      );
    const gateway = await createGateway(toml(certs.ca.certFile));
    onTestFinished(() => gateway.close());
    const ws = await open(`ws://127.0.0.1:${gateway.listeners[0]!.port}/`);
    expect(await ask(ws, 'hi')).toBe('tls:hi');
    // Without the CA the backend certificate is not trusted: the handshake gets 502.
    const untrusted = await createGateway(wsProxy([`wss://127.0.0.1:${port}`]));
    onTestFinished(() => untrusted.close());
    await expect(open(`ws://127.0.0.1:${untrusted.listeners[0]!.port}/`)).rejects.toThrow(
      'status 502',
    );
    await expect(createGateway(toml('/nonexistent/ca.pem'))).rejects.toThrow(
      /ws_proxy\[0\]\.tls\.ca_file: cannot read \/nonexistent\/ca\.pem/,
    );
  });

  it('validates [ws_proxy.tls] like [upstream.tls]', () => {
    const { problems } = parseGatewayConfig(
      wsProxy(['ws://127.0.0.1:1'], '[ws_proxy.tls]\ncert_file = "c.pem"\nverfy = false\n'),
      { file: 'g.toml' },
    );
    expect(problems.map(formatConfigProblem)).toEqual([
      'g.toml:5: ws_proxy[0].tls: cert_file and key_file go together (the client certificate and its key)',
      'g.toml:5: ws_proxy[0].tls: [ws_proxy.tls] applies to wss:// backends, and this listener has none',
      'g.toml:7: ws_proxy[0].tls.verfy: unknown key (did you mean "verify"?)',
    ]);
  });
});
