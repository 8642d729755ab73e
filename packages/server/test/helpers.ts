/**
 * Test helpers: certificates generated with openssl in a temp dir, a raw HTTP/1.1 client over
 * node:net / node:tls that keeps its connection (for keep-alive and reload checks), and a
 * `serve()` wrapper that closes the server when the test ends.
 */
import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { onTestFinished } from 'vitest';
import { type RunningServer, type Servable, type ServeOptions, serve } from '../src/index.js';

/** Serves on 127.0.0.1:0 and closes when the test ends. */
export async function start(app: Servable, options: ServeOptions = {}): Promise<RunningServer> {
  const server = await serve(app, { port: 0, onError: () => {}, ...options });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return server;
}

/** The server tests' certificates: see `generateCerts`. */
export type Certs = TestCertificates<'server2' | 'a' | 'wild'>;

/**
 * A CA, the default `server` (CN=localhost, SAN localhost + 127.0.0.1), `server2` (a second
 * issue for reload tests), SNI hosts `a` (a.rws.test) and `wild` (*.wild.rws.test), a CA-signed
 * `client` and a self-signed `rogue` client certificate.
 */
export function generateCerts(): Certs {
  const localhost = ['DNS:localhost', 'IP:127.0.0.1'];
  return createTestCertificates({
    prefix: 'rws-server-tls-',
    servers: {
      server2: { cn: 'localhost', san: localhost },
      a: { cn: 'a.rws.test', san: ['DNS:a.rws.test'] },
      wild: { cn: '*.wild.rws.test', san: ['DNS:*.wild.rws.test'] },
    },
    client: true,
    rogueClient: true,
  });
}

/** One response read off the wire (Content-Length or no body). */
export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
}

/**
 * A raw HTTP/1.1 client on one connection: `request()` writes exact bytes and reads one
 * response framed by Content-Length. Keeps the connection for the next request.
 */
export class RawClient {
  readonly socket: Socket;
  #buffer = '';
  #waiters: (() => void)[] = [];
  isClosed = false;

  constructor(socket: Socket) {
    this.socket = socket;
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      this.#buffer += chunk;
      this.#wake();
    });
    socket.on('close', () => {
      this.isClosed = true;
      this.#wake();
    });
    socket.on('error', () => {});
    onTestFinished(() => {
      socket.destroy();
    });
  }

  static async plain(port: number): Promise<RawClient> {
    const socket = netConnect(port, '127.0.0.1');
    await new Promise<void>((resolve, reject) => {
      socket.once('connect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  static async tls(port: number, options: ConnectionOptions = {}): Promise<RawClient> {
    const socket = tlsConnect({ port, host: '127.0.0.1', ...options });
    await new Promise<void>((resolve, reject) => {
      socket.once('secureConnect', resolve);
      socket.once('error', reject);
    });
    return new RawClient(socket);
  }

  get tlsSocket(): TLSSocket {
    return this.socket as TLSSocket;
  }

  #wake(): void {
    const waiters = this.#waiters;
    this.#waiters = [];
    for (const w of waiters) w();
  }

  #wait(): Promise<void> {
    return new Promise((resolve) => this.#waiters.push(resolve));
  }

  /** Sends `GET path` (or `raw` exactly) and reads one response. */
  async request(
    path: string,
    init: { method?: string; headers?: string; raw?: string } = {},
  ): Promise<RawResponse> {
    const raw =
      init.raw ??
      `${init.method ?? 'GET'} ${path} HTTP/1.1\r\nhost: localhost\r\n${init.headers ?? ''}\r\n`;
    this.socket.write(raw);
    return this.read(init.method === 'HEAD');
  }

  /** Reads one response. */
  async read(isHead = false): Promise<RawResponse> {
    for (;;) {
      const end = this.#buffer.indexOf('\r\n\r\n');
      if (end !== -1) {
        const lines = this.#buffer.slice(0, end).split('\r\n');
        const status = Number(lines[0]!.split(' ')[1]);
        const headers: Record<string, string> = {};
        for (const line of lines.slice(1)) {
          const i = line.indexOf(':');
          headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
        }
        const length = isHead ? 0 : Number(headers['content-length'] ?? '0');
        if (this.#buffer.length >= end + 4 + length) {
          const body = this.#buffer.slice(end + 4, end + 4 + length);
          this.#buffer = this.#buffer.slice(end + 4 + length);
          return { status, headers, body };
        }
      }
      if (this.isClosed)
        throw new Error(`connection closed; received ${JSON.stringify(this.#buffer)}`);
      await this.#wait();
    }
  }

  /** Resolves when the server closes the connection. */
  async closed(): Promise<void> {
    while (!this.isClosed) await this.#wait();
  }
}

/** Resolves true when a TCP connect to `port` is refused. */
export function isRefused(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = netConnect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(false);
    });
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNREFUSED'));
  });
}
