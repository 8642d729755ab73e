/**
 * HTTP/3 beside the TLS listener: an @rws/h3 server on UDP at the same port number, and the
 * `Alt-Svc` header that tells HTTP/1.1 and HTTP/2 clients about it (RFC 7838, RFC 9114 §3.1.1).
 */
import { type Handler, isPromise, type Response } from '@rws/core';
import { Http3Server, type Http3TlsOptions } from '@rws/h3';
import type { OcspStapler } from './ocsp/stapler.js';
import type { ResolvedOptions } from './options.js';
import { type QuicCertificates, selectQuicCertificate } from './tls-contexts.js';

/**
 * The TLS settings of the HTTP/3 listener from the server's certificate table: the default
 * certificate, SNI names (exact and wildcard, as on TCP), the mTLS client CA (required, as on
 * TCP), and OCSP responses from the stapler the TCP listener uses.
 */
export function http3TlsOptions(
  quic: QuicCertificates,
  ocsp: () => OcspStapler | null,
): Http3TlsOptions {
  return {
    cert: quic.cert,
    key: quic.key,
    selectCertificate: (servername) => selectQuicCertificate(quic, servername),
    ...(quic.clientCa === null
      ? {}
      : { ca: quic.clientCa, requestCert: true, rejectUnauthorized: true }),
    ocspResponse: (leaf) =>
      ocsp()?.staple(Buffer.from(leaf.buffer, leaf.byteOffset, leaf.byteLength)) ?? null,
  };
}

/** Binds HTTP/3 on UDP `host:port` with the server's certificates. */
export function listenHttp3(
  handler: Handler,
  options: ResolvedOptions,
  tls: Http3TlsOptions,
  host: string,
  port: number,
): Promise<Http3Server> {
  return Http3Server.listen({
    handler,
    tls,
    host,
    port,
    maxBodyBytes: options.limits.maxBodyBytes ?? 1024 * 1024,
    // Extended CONNECT on HTTP/3 (RFC 9220) follows the HTTP/2 switch: one handler serves both.
    enableConnectProtocol: options.enableConnectProtocol,
    onError: (err, req) => options.onError(err, req),
  });
}

/** The `Alt-Svc` value advertising HTTP/3 on UDP `port` for a day (RFC 7838 §3). */
export function altSvcValue(port: number): string {
  return `h3=":${port}"; ma=86400`;
}

/**
 * Adds `value` (from `altSvcValue`, built once per listener rather than per response) as
 * `Alt-Svc` to a response unless the handler set its own.
 */
export function withAltSvc(
  res: Response | Promise<Response>,
  value: string,
): Response | Promise<Response> {
  if (isPromise(res)) return res.then((r) => withAltSvc(r, value) as Response);
  if (!res.headers.has('alt-svc')) res.headers.set('alt-svc', value);
  return res;
}
