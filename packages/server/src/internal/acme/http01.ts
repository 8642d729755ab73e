/**
 * Answers HTTP-01 validation requests (RFC 8555 §8.3) ahead of everything else on a listener:
 * `GET /.well-known/acme-challenge/<token>` gets the key authorization as text/plain, an
 * unknown token 404 (never the site's own page or an HTTPS redirect for that path).
 */
import { type Handler, Headers } from '@rws/core';
import type { AcmeManager } from '../../acme-manager.js';

const PREFIX = '/.well-known/acme-challenge/';

export function withHttp01(handler: Handler, acme: AcmeManager): Handler {
  return (req) => {
    if (!req.path.startsWith(PREFIX) || (req.method !== 'GET' && req.method !== 'HEAD')) {
      return handler(req);
    }
    const answer = acme.http01Response(req.path.slice(PREFIX.length));
    return {
      status: answer === null ? 404 : 200,
      headers: new Headers([
        [
          'content-type',
          answer === null ? 'text/plain; charset=utf-8' : 'application/octet-stream',
        ],
        ['cache-control', 'no-store'],
      ]),
      body: answer ?? 'no such ACME challenge\n',
    };
  };
}
