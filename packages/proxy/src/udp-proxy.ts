/**
 * A UDP proxy: datagrams from each client address go to one backend (picked round robin for
 * the client's first datagram) through a socket of their own, so the backend's replies find
 * their way back; a session ends after `idleTimeoutMs` without traffic.
 */
import * as dgram from 'node:dgram';
import { isIPv6 } from 'node:net';
import { type HostPort, parseHostPort } from './internal/host-port.js';
import { invalidOption } from './internal/proxy-error.js';

/** Options of `createUdpProxy`. */
export interface UdpProxyOptions {
  /** `host:port` of each backend (IP addresses). */
  backends: readonly string[];
  /** A session without datagrams either way for this long is closed. Default 60000. */
  idleTimeoutMs?: number | undefined;
  /** Most concurrent sessions; datagrams from new clients past it are dropped. Default 10000. */
  maxSessions?: number | undefined;
}

/** A running UDP proxy. */
export interface UdpProxy {
  /** Binds (default 127.0.0.1, port 0). */
  listen(options?: { port?: number; host?: string }): Promise<{ address: string; port: number }>;
  /** Open sessions. */
  readonly sessions: number;
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface Session {
  readonly socket: dgram.Socket;
  readonly backend: HostPort;
  timer: NodeJS.Timeout;
}

/**
 * Creates a UDP proxy.
 *
 * @example
 * ```ts
 * import { createUdpProxy } from '@rws/proxy';
 * const dns = createUdpProxy({ backends: ['10.0.0.53:53', '10.0.0.54:53'], idleTimeoutMs: 5000 });
 * await dns.listen({ port: 5353 });
 * ```
 */
export function createUdpProxy(options: UdpProxyOptions): UdpProxy {
  if (!Array.isArray(options?.backends) || options.backends.length === 0) {
    throw invalidOption('backends', options?.backends, 'a non-empty array of host:port');
  }
  const backends = options.backends.map((b, i) => parseHostPort(b, `backends[${i}]`));
  const idleTimeoutMs = options.idleTimeoutMs ?? 60_000;
  const maxSessions = options.maxSessions ?? 10_000;
  const sessions = new Map<string, Session>();
  let rr = 0;
  let front: dgram.Socket | null = null;

  function end(key: string): void {
    const s = sessions.get(key);
    if (s === undefined) return;
    sessions.delete(key);
    clearTimeout(s.timer);
    s.socket.close();
  }

  function touch(key: string, s: Session): void {
    clearTimeout(s.timer);
    s.timer = setTimeout(() => end(key), idleTimeoutMs);
    s.timer.unref();
  }

  function onClientMessage(msg: Buffer, rinfo: dgram.RemoteInfo): void {
    const key = `${rinfo.address}|${rinfo.port}`;
    let s = sessions.get(key);
    if (s === undefined) {
      if (sessions.size >= maxSessions) return;
      const backend = backends[rr++ % backends.length]!;
      const socket = dgram.createSocket(isIPv6(backend.host) ? 'udp6' : 'udp4');
      const session: Session = { socket, backend, timer: setTimeout(() => {}, 0) };
      socket.on('message', (reply) => {
        touch(key, session);
        front?.send(reply, rinfo.port, rinfo.address);
      });
      // ICMP port unreachable and the like: the session is useless, drop it.
      socket.on('error', () => end(key));
      sessions.set(key, session);
      s = session;
    }
    touch(key, s);
    s.socket.send(msg, s.backend.port, s.backend.host);
  }

  return {
    get sessions() {
      return sessions.size;
    },
    async listen(listenOptions = {}) {
      if (front !== null) throw invalidOption('listen', 'twice', 'one listen() per proxy');
      const host = listenOptions.host ?? '127.0.0.1';
      const socket = dgram.createSocket(isIPv6(host) ? 'udp6' : 'udp4');
      front = socket;
      socket.on('message', onClientMessage);
      await new Promise<void>((resolve, reject) => {
        socket.once('error', reject);
        socket.bind(listenOptions.port ?? 0, host, () => {
          socket.off('error', reject);
          resolve();
        });
      });
      socket.on('error', () => {});
      const a = socket.address();
      return { address: a.address, port: a.port };
    },
    async close() {
      for (const key of [...sessions.keys()]) end(key);
      const s = front;
      front = null;
      if (s !== null) await new Promise<void>((resolve) => s.close(() => resolve()));
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}
