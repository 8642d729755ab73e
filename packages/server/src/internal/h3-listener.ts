/**
 * HTTP/3 beside the TLS listener: an @rws/h3 server on UDP at the same port number, and the
 * `Alt-Svc` header that tells HTTP/1.1 and HTTP/2 clients about it (RFC 7838, RFC 9114 §3.1.1).
 */
import { readFile } from 'node:fs/promises';
import { type Handler, isPromise, type Response } from '@rws/core';
import { Http3Server } from '@rws/h3';
import type { ResolvedOptions } from './options.js';

/** Binds HTTP/3 on UDP `host:port` with the default certificate. */
export async function listenHttp3(
  handler: Handler,
  options: ResolvedOptions,
  host: string,
  port: number,
): Promise<Http3Server> {
  const tls = options.tls!;
  // Options validation refuses http3 without certificate files (e.g. with ACME).
  if (tls.certFile === null || tls.keyFile === null)
    throw new Error('http3: needs certificate files');
  const [cert, key] = await Promise.all([
    readFile(tls.certFile, 'utf8'),
    readFile(tls.keyFile, 'utf8'),
  ]);
  return Http3Server.listen({
    handler,
    tls: { cert, key },
    host,
    port,
    maxBodyBytes: options.limits.maxBodyBytes ?? 1024 * 1024,
    // Extended CONNECT on HTTP/3 (RFC 9220) follows the HTTP/2 switch: one handler serves both.
    enableConnectProtocol: options.enableConnectProtocol,
    onError: (err, req) => options.onError(err, req),
  });
}

/** Adds `Alt-Svc: h3=":<port>"` to a response unless the handler set its own. */
export function withAltSvc(
  res: Response | Promise<Response>,
  port: number,
): Response | Promise<Response> {
  if (isPromise(res)) return res.then((r) => withAltSvc(r, port) as Response);
  if (!res.headers.has('alt-svc')) res.headers.set('alt-svc', `h3=":${port}"; ma=86400`);
  return res;
}
