/**
 * The TLS server that answers TLS-ALPN-01 validations (RFC 8737 §3): it offers only
 * `acme-tls/1`, presents the validation certificate of the SNI name, and closes the
 * connection once the handshake is done (no application data is exchanged).
 */
import { createServer, type Server, type TLSSocket } from 'node:tls';
import type { AcmeManager } from '../../acme-manager.js';

export function acmeAlpnServer(acme: AcmeManager): Server {
  const server = createServer({
    ALPNProtocols: ['acme-tls/1'],
    SNICallback: (servername, cb) => {
      // No context for an unknown name: the handshake fails, as it should.
      cb(null, acme.alpnContext(servername) ?? undefined);
    },
  });
  server.on('secureConnection', (socket: TLSSocket) => socket.end());
  server.on('tlsClientError', (_err: Error, socket: TLSSocket) => socket.destroy());
  return server;
}
