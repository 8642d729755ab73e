/**
 * `ConnectionInfo` for a net or TLS socket. Addresses are read once; the TLS peer
 * certificate, which node:tls builds on demand, is read only if a handler asks for it.
 */
import type { Socket } from 'node:net';
import type { TLSSocket } from 'node:tls';
import type { ConnectionInfo, TlsInfo } from '@rws/core';

let nextId = 1;

class SocketTlsInfo implements TlsInfo {
  readonly alpn: string | null;
  readonly sni: string | null;
  readonly version: string | null;
  readonly authorized: boolean;
  #socket: TLSSocket;
  #peer: Readonly<Record<string, unknown>> | null | undefined = undefined;

  constructor(socket: TLSSocket) {
    this.#socket = socket;
    this.alpn = typeof socket.alpnProtocol === 'string' ? socket.alpnProtocol : null;
    const servername = (socket as TLSSocket & { servername?: string | false }).servername;
    this.sni = typeof servername === 'string' && servername.length > 0 ? servername : null;
    this.version = socket.getProtocol();
    this.authorized = socket.authorized === true;
  }

  get peerCertificate(): Readonly<Record<string, unknown>> | null {
    if (this.#peer === undefined) {
      const cert = this.#socket.getPeerCertificate(false) as unknown as
        | Record<string, unknown>
        | undefined;
      this.#peer = cert !== undefined && Object.keys(cert).length > 0 ? cert : null;
    }
    return this.#peer;
  }
}

/** Builds the `ConnectionInfo` of `socket` (TLS info when it is a `TLSSocket`). */
export function connectionInfo(socket: Socket): ConnectionInfo {
  const isTls = (socket as TLSSocket).encrypted === true;
  return {
    id: nextId++,
    remoteAddress: socket.remoteAddress ?? '',
    remotePort: socket.remotePort ?? 0,
    localAddress: socket.localAddress ?? '',
    localPort: socket.localPort ?? 0,
    tls: isTls ? new SocketTlsInfo(socket as TLSSocket) : null,
  };
}
