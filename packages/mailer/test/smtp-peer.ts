/**
 * A real SMTP server for the tests: nodemailer's `smtp-server` on 127.0.0.1 port 0, recording
 * every message it accepts (envelope, raw bytes, authenticated user).
 */
import type { AddressInfo } from 'node:net';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import { onTestFinished } from 'vitest';

export interface Received {
  from: string;
  to: string[];
  raw: Buffer;
  user: string | undefined;
  secure: boolean;
  sessionId: string;
  /** MAIL FROM's ESMTP parameters (xtext decoded), e.g. `{ RET: 'HDRS', ENVID: '…' }`. */
  mailArgs: Record<string, string | true>;
  /** Each RCPT TO's parameters, in envelope order. */
  rcptArgs: Array<Record<string, string | true>>;
}

export interface Peer {
  port: number;
  received: Received[];
  server: SMTPServer;
  /** Connections the server accepted so far. */
  connections(): number;
}

/** smtp-server options; its typings omit the TLS `key` and `cert` it accepts. */
export type PeerOptions = SMTPServerOptions & { key?: string; cert?: string };

export async function startPeer(options: PeerOptions = {}): Promise<Peer> {
  const received: Received[] = [];
  let connections = 0;
  const server = new SMTPServer({
    logger: false,
    disableReverseLookup: true,
    authOptional: true,
    ...options,
    onConnect(session, cb) {
      connections++;
      if (options.onConnect) options.onConnect(session, cb);
      else cb();
    },
    onData(stream, session, cb) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        if (stream.sizeExceeded) {
          const err = Object.assign(new Error('552 message too big'), { responseCode: 552 });
          cb(err);
          return;
        }
        received.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          to: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks),
          user: session.user as string | undefined,
          secure: session.secure,
          sessionId: session.id,
          mailArgs: (session.envelope.mailFrom ? session.envelope.mailFrom.args : false) || {},
          rcptArgs: session.envelope.rcptTo.map((r) => r.args || {}),
        });
        cb(null, `queued as ${received.length}`);
      });
    },
  });
  server.on('error', () => undefined);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.server.address() as AddressInfo).port;
  onTestFinished(() => new Promise<void>((resolve) => server.close(() => resolve())));
  return { port, received, server, connections: () => connections };
}
