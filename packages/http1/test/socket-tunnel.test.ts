/**
 * The upgraded socket's `Tunnel` makes its web streams on first use (the WebSocket codec reads
 * the socket directly and never needs them). Streams made after the peer is gone still settle:
 * a reset before first use errors the readable, it never hangs. Raw sockets as peers.
 */
import { Headers, isRwsError, type Tunnel } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { rawSocket, readUntil, start } from './helpers.js';

const UPGRADE = 'GET / HTTP/1.1\r\nHost: a\r\nUpgrade: late\r\nConnection: Upgrade\r\n\r\n';

describe('socket tunnel streams made late', () => {
  it('a readable first touched after the peer reset the connection errors with SOCKET_CLOSED', async () => {
    let accepted!: (t: Tunnel) => void;
    const tunnel = new Promise<Tunnel>((resolve) => {
      accepted = resolve;
    });
    const { port } = await start(async (req) => {
      accepted(await req.upgrade!.accept());
      return { status: 101, headers: new Headers(), body: null };
    });
    const socket = await rawSocket(port);
    socket.write(UPGRADE);
    await readUntil(socket, (raw) => raw.includes('\r\n\r\n'));
    const t = await tunnel;
    socket.resetAndDestroy();
    // Let the reset reach the server before the streams exist.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const reader = t.readable.getReader();
    const error = await reader.read().then(
      () => null,
      (err: unknown) => err,
    );
    expect(isRwsError(error, 'RWS_HTTP1_SOCKET_CLOSED')).toBe(true);
    await expect(t.writable.getWriter().write(new Uint8Array([1]))).rejects.toSatisfy((err) =>
      isRwsError(err, 'RWS_HTTP1_SOCKET_CLOSED'),
    );
  });

  it('bytes the peer sent before the streams existed arrive first, then the rest', async () => {
    let accepted!: (t: Tunnel) => void;
    const tunnel = new Promise<Tunnel>((resolve) => {
      accepted = resolve;
    });
    const { port } = await start(async (req) => {
      accepted(await req.upgrade!.accept());
      return { status: 101, headers: new Headers(), body: null };
    });
    const socket = await rawSocket(port);
    socket.write(`${UPGRADE}early`);
    await readUntil(socket, (raw) => raw.includes('\r\n\r\n'));
    const t = await tunnel;
    socket.write('-later');
    await new Promise((resolve) => setTimeout(resolve, 100));
    socket.end();
    let got = '';
    for await (const chunk of t.readable) got += Buffer.from(chunk).toString();
    expect(got).toBe('early-later');
    await t.writable.close();
  });
});
