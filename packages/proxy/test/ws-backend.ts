/**
 * A `ws` echo server as a proxy backend for the WebSocket tests: it echoes every message,
 * closes with `<code>` when it gets the text `close <code>`, and records the upgrade requests
 * it accepted and the close codes it saw.
 */
import type * as http from 'node:http';
import { onTestFinished } from 'vitest';
import { WebSocketServer } from 'ws';
import { backend } from './helpers.js';

export interface WsBackend {
  /** `http://127.0.0.1:<port>` */
  origin: string;
  port: number;
  server: http.Server;
  wss: WebSocketServer;
  /** Request heads of the upgrades the backend accepted. */
  seen: http.IncomingMessage[];
  /** Close events the backend saw (the peer's code and reason), in order. */
  closes: { code: number; reason: string }[];
}

export interface WsBackendOptions {
  verifyClient?: WebSocketServer['options']['verifyClient'];
  /** Accept permessage-deflate (compressing every message). Default off. */
  deflate?: boolean;
  /** Subprotocols the backend speaks, in order of preference; default: the client's first. */
  protocols?: readonly string[];
}

export async function wsBackend(options: WsBackendOptions = {}): Promise<WsBackend> {
  const { origin, port, server } = await backend((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('plain');
  });
  const { protocols } = options;
  const wss = new WebSocketServer({
    server,
    perMessageDeflate: options.deflate === true ? { threshold: 0 } : false,
    ...(options.verifyClient === undefined ? {} : { verifyClient: options.verifyClient }),
    ...(protocols === undefined
      ? {}
      : { handleProtocols: (offered) => protocols.find((p) => offered.has(p)) ?? false }),
  });
  const seen: http.IncomingMessage[] = [];
  const closes: { code: number; reason: string }[] = [];
  wss.on('connection', (socket, req) => {
    seen.push(req);
    socket.on('message', (data, isBinary) => {
      const text = isBinary ? '' : data.toString();
      if (text.startsWith('close ')) socket.close(Number(text.slice(6)), 'server says bye');
      else socket.send(data, { binary: isBinary });
    });
    socket.on('close', (code, reason) => closes.push({ code, reason: reason.toString() }));
  });
  onTestFinished(() => new Promise<void>((resolve) => wss.close(() => resolve())));
  return { origin, port, server, wss, seen, closes };
}
