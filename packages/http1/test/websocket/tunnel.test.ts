/**
 * The codec runs on any core `Tunnel`, not only an HTTP/1.1 socket (issue #14): an extended
 * CONNECT request (RFC 8441, the shape @rws/h2 will offer) over an in-memory pair of web
 * streams, answered 200 without the key exchange, with our own client-side WebSocket on the
 * other end.
 */
import { createRequest, type Headers, type Tunnel } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { upgradeWebSocket, WebSocket } from '../../src/websocket/index.js';

/** Two tunnels joined back to back, as a transport's stream would join two peers. */
function tunnelPair(): [Tunnel, Tunnel] {
  const toServer = new TransformStream<Uint8Array, Uint8Array>();
  const toClient = new TransformStream<Uint8Array, Uint8Array>();
  return [
    { readable: toServer.readable, writable: toClient.writable },
    { readable: toClient.readable, writable: toServer.writable },
  ];
}

describe('upgradeWebSocket over extended CONNECT (RFC 8441 shape)', () => {
  it('answers 200 without Sec-WebSocket-Accept and exchanges messages; drain closes with 1001', async () => {
    const [serverSide, clientSide] = tunnelPair();
    const drain = new AbortController();
    let acceptedHeaders: Headers | null = null;
    const req = createRequest({
      method: 'CONNECT',
      target: '/chat',
      protocol: 'h2',
      authority: 'example.test',
      headers: { 'sec-websocket-version': '13', 'sec-websocket-protocol': 'chat, other' },
      drain: drain.signal,
      upgrade: {
        kind: 'connect',
        protocol: 'websocket',
        accept: async (headers) => {
          acceptedHeaders = headers as Headers;
          return serverSide;
        },
      },
    });
    const res = await upgradeWebSocket(req, {
      protocols: ['chat'],
      onMessage: (m, ws) => ws.send(typeof m === 'string' ? m.toUpperCase() : m),
    });
    expect(res.status).toBe(200);
    expect(acceptedHeaders!.get('sec-websocket-protocol')).toBe('chat');
    expect(acceptedHeaders!.has('sec-websocket-accept')).toBe(false);
    expect(acceptedHeaders!.has('upgrade')).toBe(false);
    const client = new WebSocket(clientSide, { isServer: false });
    await client.send('over a stream');
    const it = client[Symbol.asyncIterator]();
    expect((await it.next()).value).toBe('OVER A STREAM');
    drain.abort();
    expect(await client.closed).toEqual({
      code: 1001,
      reason: 'server shutting down',
      wasClean: true,
    });
  });

  it('still refuses a bad version with 426 on the extended CONNECT path', async () => {
    const req = createRequest({
      method: 'CONNECT',
      target: '/chat',
      protocol: 'h2',
      headers: { 'sec-websocket-version': '12' },
      upgrade: {
        kind: 'connect',
        protocol: 'websocket',
        accept: () => Promise.reject(new Error('must not be called')),
      },
    });
    const res = await upgradeWebSocket(req);
    expect(res.status).toBe(426);
    expect(res.headers.get('sec-websocket-version')).toBe('13');
    // No HTTP/1.1 connection-specific fields on h2 (RFC 9113 §8.2.2).
    expect(res.headers.has('upgrade')).toBe(false);
    expect(res.headers.has('connection')).toBe(false);
  });
});
