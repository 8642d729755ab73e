/** Opening a client socket (TCP or TLS) to an origin, with a connect timeout and abort. */
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { RwsError } from '@rws/core';
import { CLIENT_ERROR_CODES, clientError } from './client-errors.js';

/** TLS settings for an `https:` origin. */
export interface ClientTlsOptions {
  /** SNI server name. Default: the origin host name (never an IP address, RFC 6066 §3). */
  servername?: string | undefined;
  /** Trusted CA certificates (PEM). Default: Node's bundled roots. */
  ca?: string | Buffer | Array<string | Buffer> | undefined;
  /** Client certificate (PEM) for mutual TLS. */
  cert?: string | Buffer | Array<string | Buffer> | undefined;
  /** Private key of `cert` (PEM). */
  key?: string | Buffer | Array<string | Buffer> | undefined;
  /** Verify the server certificate. Default true; false only for tests and private networks. */
  rejectUnauthorized?: boolean | undefined;
}

/** Opens a socket; resolves once connected (and the TLS handshake is done). */
export function connectSocket(
  url: URL,
  tlsOptions: ClientTlsOptions | null,
  timeoutMs: number,
  signal: AbortSignal | null,
): Promise<net.Socket> {
  const isTls = url.protocol === 'https:';
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  const port = url.port === '' ? (isTls ? 443 : 80) : Number(url.port);
  return new Promise((resolve, reject) => {
    let socket: net.Socket;
    if (isTls) {
      const servername = tlsOptions?.servername ?? (net.isIP(host) === 0 ? host : undefined);
      const opts: tls.ConnectionOptions = {
        host,
        port,
        ALPNProtocols: ['http/1.1'],
        rejectUnauthorized: tlsOptions?.rejectUnauthorized ?? true,
      };
      if (servername !== undefined) opts.servername = servername;
      if (tlsOptions?.ca !== undefined) opts.ca = tlsOptions.ca;
      if (tlsOptions?.cert !== undefined) opts.cert = tlsOptions.cert;
      if (tlsOptions?.key !== undefined) opts.key = tlsOptions.key;
      socket = tls.connect(opts);
    } else {
      socket = net.connect({ host, port });
    }
    const readyEvent = isTls ? 'secureConnect' : 'connect';
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.off(readyEvent, onReady);
      socket.off('error', onError);
      signal?.removeEventListener('abort', onAbort);
    };
    const fail = (err: RwsError): void => {
      cleanup();
      socket.destroy();
      reject(err);
    };
    const onReady = (): void => {
      cleanup();
      socket.setNoDelay(true);
      resolve(socket);
    };
    const onError = (err: Error): void => {
      fail(
        clientError(
          CLIENT_ERROR_CODES.CONNECT_FAILED,
          `connecting to ${url.origin} failed: ${err.message}`,
          err,
        ),
      );
    };
    const onAbort = (): void => {
      fail(
        clientError(CLIENT_ERROR_CODES.ABORTED, 'request aborted while connecting', signal?.reason),
      );
    };
    const timer = setTimeout(() => {
      fail(
        clientError(
          CLIENT_ERROR_CODES.CONNECT_TIMEOUT,
          `connecting to ${url.origin} took longer than ${timeoutMs} ms`,
        ),
      );
    }, timeoutMs);
    socket.once(readyEvent, onReady);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
