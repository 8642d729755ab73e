/**
 * A fixed-count HTTP/1.1 load: `connections` keep-alive sockets, each sending `GET path` one
 * request at a time (or `pipeline` at a time) until `count` responses have arrived in total.
 * Responses are framed by Content-Length only (every profiled server sends one). Cheap and
 * deterministic on purpose: the profile is of the server, not of the client.
 *
 * A connection the server closes (a server under valgrind can be slow enough to hit its own
 * keep-alive timeout between two requests) is replaced, and its unanswered requests are sent
 * again on the new one.
 */
import { connect } from 'node:net';
import { connect as connectTls } from 'node:tls';

export interface FixedLoad {
  readonly port: number;
  readonly path: string;
  readonly count: number;
  readonly connections: number;
  /** Requests in flight per connection. Default 1. */
  readonly pipeline?: number;
  /** Request header fields besides Host (e.g. the `middleware` suite's Origin). */
  readonly headers?: Readonly<Record<string, string>>;
  /** Speak HTTPS (certificate not verified: the bench's is self-signed). Default false. */
  readonly tls?: boolean;
}

const CRLF2 = Buffer.from('\r\n\r\n');
const CONTENT_LENGTH = 'content-length:';
/** Replacements allowed before the load gives up. */
const MAX_RECONNECTS = 100;

/** Resolves once `count` responses have been read; rejects on a non-2xx or too many resets. */
export function runFixedLoad(load: FixedLoad): Promise<void> {
  const fields = Object.entries(load.headers ?? {})
    .map(([name, value]) => `${name}: ${value}\r\n`)
    .join('');
  const request = Buffer.from(`GET ${load.path} HTTP/1.1\r\nhost: 127.0.0.1\r\n${fields}\r\n`);
  const depth = Math.max(1, load.pipeline ?? 1);
  let sent = 0;
  let received = 0;
  let reconnects = 0;
  let isDone = false;
  return new Promise((resolve, reject) => {
    const open = new Set<ReturnType<typeof connect>>();
    const finish = (err?: Error): void => {
      if (isDone) return;
      isDone = true;
      for (const s of open) s.destroy();
      if (err === undefined) resolve();
      else reject(err);
    };
    const start = (): void => {
      const socket =
        load.tls === true
          ? connectTls({ port: load.port, host: '127.0.0.1', rejectUnauthorized: false })
          : connect(load.port, '127.0.0.1');
      open.add(socket);
      let inFlight = 0;
      let buf: Buffer = Buffer.alloc(0);
      let bodyLeft = -1;
      const send = (n: number): void => {
        const k = Math.min(n, load.count - sent);
        if (k <= 0) return;
        sent += k;
        inFlight += k;
        socket.write(k === 1 ? request : Buffer.concat(Array(k).fill(request)));
      };
      socket.on('error', () => {});
      socket.on('close', () => {
        open.delete(socket);
        if (isDone) return;
        // Unanswered requests go out again on a new connection.
        sent -= inFlight;
        if (++reconnects > MAX_RECONNECTS) finish(new Error('too many connections reset'));
        else start();
      });
      socket.on(load.tls === true ? 'secureConnect' : 'connect', () => send(depth));
      socket.on('data', (chunk: Buffer) => {
        buf = buf.length === 0 ? chunk : Buffer.concat([buf, chunk]);
        for (;;) {
          if (bodyLeft < 0) {
            const end = buf.indexOf(CRLF2);
            if (end === -1) return;
            const head = buf.toString('latin1', 0, end).toLowerCase();
            if (!head.startsWith('http/1.1 2')) {
              finish(new Error(`unexpected response: ${head.split('\r\n')[0]}`));
              return;
            }
            const at = head.indexOf(CONTENT_LENGTH);
            bodyLeft = at === -1 ? 0 : Number.parseInt(head.slice(at + CONTENT_LENGTH.length), 10);
            buf = buf.subarray(end + 4);
          }
          if (buf.length < bodyLeft) {
            bodyLeft -= buf.length;
            buf = Buffer.alloc(0);
            return;
          }
          buf = buf.subarray(bodyLeft);
          bodyLeft = -1;
          inFlight--;
          received++;
          if (received === load.count) {
            finish();
            return;
          }
          send(1);
        }
      });
    };
    for (let i = 0; i < load.connections; i++) start();
  });
}
