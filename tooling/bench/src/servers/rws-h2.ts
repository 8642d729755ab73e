/**
 * Subject: @rws/server `serve()` answering `Hello, World!` on 127.0.0.1:$PORT. With
 * TLS_CERT_FILE/TLS_KEY_FILE it serves TLS, where ALPN offers h2 (@rws/h2) before http/1.1;
 * without, it serves h2c with prior knowledge (`h2c: true`) beside HTTP/1.1. One process, no
 * health or metrics paths in the way of `/`, no access log.
 */
import { text } from '@rws/core';
import { serve } from '@rws/server';

const port = Number(process.env['PORT'] ?? 3000);
const certFile = process.env['TLS_CERT_FILE'];
const keyFile = process.env['TLS_KEY_FILE'];

await serve(() => text('Hello, World!'), {
  host: '127.0.0.1',
  port,
  ...(certFile === undefined || keyFile === undefined
    ? { h2c: true }
    : { tlsCertFile: certFile, tlsKeyFile: keyFile }),
  handleSignals: true,
});
