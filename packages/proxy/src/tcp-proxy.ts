/**
 * A layer-4 TCP proxy: each accepted connection is relayed byte for byte to a backend picked
 * round robin among the healthy ones, in both directions with backpressure and half-close.
 */
import * as net from 'node:net';
import { type HostPort, parseHostPort } from './internal/host-port.js';
import { invalidOption } from './internal/proxy-error.js';

/** TCP health checks: a backend is healthy while connections to it succeed. */
export interface TcpHealthCheckOptions {
  /** Default 5000. */
  intervalMs?: number | undefined;
  /** Default 1000. */
  timeoutMs?: number | undefined;
  /** Consecutive failed connects that take a backend out. Default 2. */
  unhealthyThreshold?: number | undefined;
  /** Consecutive successful connects that bring it back. Default 1. */
  healthyThreshold?: number | undefined;
}

/** Options of `createTcpProxy`. */
export interface TcpProxyOptions {
  /** `host:port` of each backend. */
  backends: readonly string[];
  healthCheck?: TcpHealthCheckOptions | undefined;
  /** Connect timeout per backend attempt; a failed attempt tries the next backend. Default 5000. */
  connectTimeoutMs?: number | undefined;
  /** Close both sides after this long without a byte either way. Default 0 (never). */
  idleTimeoutMs?: number | undefined;
}

/** A snapshot of one TCP backend. */
export interface TcpBackendSnapshot {
  readonly address: string;
  readonly healthy: boolean;
  readonly activeConnections: number;
  readonly connections: number;
  readonly failures: number;
}

/** A running TCP proxy. */
export interface TcpProxy {
  /** Starts listening (default 127.0.0.1, port 0). */
  listen(options?: { port?: number; host?: string }): Promise<net.AddressInfo>;
  readonly backends: readonly TcpBackendSnapshot[];
  /** Stops listening, stops health checks and closes every relayed connection. */
  close(): Promise<void>;
  /** Same as `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

interface TcpBackend extends HostPort {
  healthy: boolean;
  passes: number;
  fails: number;
  active: number;
  connections: number;
  failures: number;
}

/**
 * Creates a TCP proxy.
 *
 * @example
 * ```ts
 * import { createTcpProxy } from '@rws/proxy';
 * const db = createTcpProxy({ backends: ['10.0.0.5:5432', '10.0.0.6:5432'], healthCheck: {} });
 * await db.listen({ port: 5432 });
 * ```
 */
export function createTcpProxy(options: TcpProxyOptions): TcpProxy {
  if (!Array.isArray(options?.backends) || options.backends.length === 0) {
    throw invalidOption('backends', options?.backends, 'a non-empty array of host:port');
  }
  const backends: TcpBackend[] = options.backends.map((b, i) => ({
    ...parseHostPort(b, `backends[${i}]`),
    healthy: true,
    passes: 0,
    fails: 0,
    active: 0,
    connections: 0,
    failures: 0,
  }));
  const connectTimeoutMs = options.connectTimeoutMs ?? 5000;
  const idleTimeoutMs = options.idleTimeoutMs ?? 0;
  const sockets = new Set<net.Socket>();
  let rr = 0;
  let timer: NodeJS.Timeout | null = null;
  let server: net.Server | null = null;

  function connect(b: TcpBackend, timeoutMs: number): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect({ host: b.host, port: b.port, allowHalfOpen: true });
      const t = setTimeout(() => {
        socket.destroy();
        reject(new Error(`connect to ${b.label} timed out`));
      }, timeoutMs);
      socket.once('connect', () => {
        clearTimeout(t);
        socket.removeAllListeners('error');
        resolve(socket);
      });
      socket.once('error', (err) => {
        clearTimeout(t);
        reject(err);
      });
    });
  }

  /** Healthy backends from the round-robin position on; all of them when none is healthy. */
  function order(): TcpBackend[] {
    const start = rr++ % backends.length;
    const rotated = [...backends.slice(start), ...backends.slice(0, start)];
    const healthy = rotated.filter((b) => b.healthy);
    return healthy.length > 0 ? healthy : rotated;
  }

  async function relay(client: net.Socket): Promise<void> {
    sockets.add(client);
    client.on('close', () => sockets.delete(client));
    client.on('error', () => {});
    // Hold the client's bytes until a backend is connected.
    client.pause();
    let upstream: net.Socket | null = null;
    let chosen: TcpBackend | null = null;
    for (const b of order()) {
      try {
        upstream = await connect(b, connectTimeoutMs);
        chosen = b;
        break;
      } catch {
        b.failures++;
      }
      if (client.destroyed) return;
    }
    if (upstream === null || chosen === null || client.destroyed) {
      upstream?.destroy();
      client.destroy();
      return;
    }
    const b = chosen;
    b.active++;
    b.connections++;
    sockets.add(upstream);
    const up = upstream;
    up.on('error', () => client.destroy());
    client.on('error', () => up.destroy());
    up.on('close', () => {
      sockets.delete(up);
      b.active--;
      // A reset (not a clean end) on one side resets the other.
      if (!client.writableEnded) client.destroy();
    });
    client.on('close', () => {
      if (!up.writableEnded) up.destroy();
    });
    if (idleTimeoutMs > 0) {
      const onIdle = (): void => {
        client.destroy();
        up.destroy();
      };
      client.setTimeout(idleTimeoutMs, onIdle);
      up.setTimeout(idleTimeoutMs, onIdle);
    }
    // pipe() carries backpressure and, with allowHalfOpen, a FIN one way without closing the other.
    client.pipe(up);
    up.pipe(client);
    client.resume();
  }

  async function probe(b: TcpBackend): Promise<void> {
    const hc = options.healthCheck!;
    try {
      const s = await connect(b, hc.timeoutMs ?? 1000);
      s.destroy();
      b.fails = 0;
      b.passes++;
      if (!b.healthy && b.passes >= (hc.healthyThreshold ?? 1)) b.healthy = true;
    } catch {
      b.passes = 0;
      b.fails++;
      if (b.healthy && b.fails >= (hc.unhealthyThreshold ?? 2)) b.healthy = false;
    }
  }

  return {
    get backends() {
      return backends.map((b) => ({
        address: b.label,
        healthy: b.healthy,
        activeConnections: b.active,
        connections: b.connections,
        failures: b.failures,
      }));
    },
    async listen(listenOptions = {}) {
      if (server !== null) throw invalidOption('listen', 'twice', 'one listen() per proxy');
      server = net.createServer(
        { allowHalfOpen: true, pauseOnConnect: true },
        (c) => void relay(c),
      );
      await new Promise<void>((resolve, reject) => {
        server!.once('error', reject);
        server!.listen(listenOptions.port ?? 0, listenOptions.host ?? '127.0.0.1', () => {
          server!.off('error', reject);
          resolve();
        });
      });
      if (options.healthCheck !== undefined) {
        timer = setInterval(() => {
          for (const b of backends) void probe(b);
        }, options.healthCheck.intervalMs ?? 5000);
        timer.unref();
      }
      return server.address() as net.AddressInfo;
    },
    async close() {
      if (timer !== null) clearInterval(timer);
      timer = null;
      const s = server;
      server = null;
      const closed =
        s === null ? Promise.resolve() : new Promise<void>((resolve) => s.close(() => resolve()));
      for (const socket of sockets) socket.destroy();
      await closed;
    },
    [Symbol.asyncDispose]() {
      return this.close();
    },
  };
}
