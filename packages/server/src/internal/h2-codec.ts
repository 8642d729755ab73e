/**
 * The HTTP/2 side of a server: the @rws/h2 codec built from the resolved options, the
 * preface sniffing that lets one plain port take h2c (prior knowledge) and HTTP/1.1, and the
 * HTTP/1.1 handler that switches `Upgrade: h2c` requests to HTTP/2.
 */
import type { Socket } from 'node:net';
import { type Handler, Headers } from '@rws/core';
import { CONNECTION_PREFACE, Http2Server, h2cUpgradeSettings } from '@rws/h2';
import { acceptUpgradeSocket } from '@rws/http1';
import type { ResolvedOptions } from './options.js';

/** The h2 codec when the listener needs one (TLS with `http2`, or `h2c`), else null. */
export function createH2Codec(entry: Handler, options: ResolvedOptions): Http2Server | null {
  const isWanted = options.tls === null ? options.h2c : options.http2;
  if (!isWanted) return null;
  const limits = options.limits;
  return new Http2Server(entry, {
    ...(limits.maxBodyBytes === undefined ? {} : { maxBodyBytes: limits.maxBodyBytes }),
    ...(limits.sendTimeoutMs === undefined ? {} : { sendTimeoutMs: limits.sendTimeoutMs }),
    serverHeader: options.serverHeader,
    enableConnectProtocol: options.enableConnectProtocol,
    onError: options.onError,
  });
}

/**
 * Reads the first bytes of a plain connection: the HTTP/2 client preface (RFC 9113 §3.4)
 * goes to `h2`, anything else to `h1`. Bytes read are put back before the handover. No
 * HTTP/1.1 method starts with `PRI *`, so the first octets decide.
 */
export function sniffPreface(
  socket: Socket,
  h2: (s: Socket) => void,
  h1: (s: Socket) => void,
): void {
  let seen: Buffer = Buffer.alloc(0);
  const onData = (chunk: Buffer): void => {
    seen = seen.length === 0 ? chunk : Buffer.concat([seen, chunk]);
    const n = Math.min(seen.length, CONNECTION_PREFACE.length);
    const isPreface = seen.compare(CONNECTION_PREFACE, 0, n, 0, n) === 0;
    if (isPreface && n < CONNECTION_PREFACE.length) return;
    socket.removeListener('data', onData);
    socket.pause();
    socket.unshift(seen);
    (isPreface ? h2 : h1)(socket);
    socket.resume();
  };
  socket.on('data', onData);
}

/**
 * The HTTP/1.1 handler of a plain port with h2c: a request that may switch (see
 * `h2cUpgradeSettings`) gets its 101 and continues as stream 1 of an HTTP/2 connection, where
 * the whole handler chain runs for it; every other request goes to `entry` as before.
 */
export function h2cUpgradeHandler(entry: Handler, h2: Http2Server): Handler {
  return (req) => {
    if (req.upgrade === undefined) return entry(req);
    const settings = h2cUpgradeSettings(req);
    if (settings === null) return entry(req);
    const { socket, head } = acceptUpgradeSocket(req.upgrade, { upgrade: 'h2c' });
    h2.handleUpgrade(socket, head, req, settings);
    // Not sent (the connection has switched); what logs and metrics of HTTP/1.1 see.
    return { status: 101, headers: new Headers(), body: null };
  };
}
