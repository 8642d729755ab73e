/**
 * The small HTTP client the discovery sources use to talk to control planes (etcd, Consul,
 * the Docker Engine, the Kubernetes API): JSON requests with a deadline, and long-lived
 * streams of newline-delimited JSON with bounded buffers. It uses `node:http` on purpose: this
 * is a few requests a minute off the request path, so it stays apart from the proxy's client.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import { RwsError } from '@rws/core';
import { DISCOVERY_ERROR_CODES } from '../../errors.js';

/** Where a control plane listens: a base URL, or a unix socket (Docker). */
export interface ControlEndpoint {
  /** `http://127.0.0.1:2379`, `https://10.0.0.1:443`; with `socketPath`, only the path is used. */
  readonly url: string;
  readonly socketPath?: string | undefined;
  /** PEM CA bundle that signs an https endpoint's certificate. */
  readonly ca?: string | Buffer | undefined;
  /** PEM client certificate and key presented to an https endpoint (mutual TLS). */
  readonly cert?: string | Buffer | undefined;
  readonly key?: string | Buffer | undefined;
  /** Headers sent with every request (auth); a function is called per request (rotating tokens). */
  readonly headers?: (() => Promise<Record<string, string>>) | undefined;
}

/** The largest JSON document or stream line accepted: past it the request fails. */
const MAX_BODY_BYTES = 32 * 1024 * 1024;

/** A discovery failure naming the source and what went wrong (never a token). */
export function discoveryError(source: string, message: string, cause?: unknown): RwsError {
  return new RwsError(
    DISCOVERY_ERROR_CODES.DISCOVERY_FAILED,
    `discovery ${source}: ${message}`,
    cause === undefined ? {} : { cause },
  );
}

interface Exchange {
  readonly source: string;
  readonly method?: 'GET' | 'POST' | undefined;
  readonly path: string;
  readonly body?: unknown;
  readonly timeoutMs: number;
  readonly signal?: AbortSignal | undefined;
}

async function open(
  ep: ControlEndpoint,
  x: Exchange,
  isStream: boolean,
): Promise<{ res: http.IncomingMessage; req: http.ClientRequest }> {
  const headers: Record<string, string> = {
    accept: 'application/json',
    ...(ep.headers === undefined ? {} : await ep.headers()),
  };
  const base = new URL(ep.url);
  const body = x.body === undefined ? undefined : JSON.stringify(x.body);
  if (body !== undefined) headers['content-type'] = 'application/json';
  const isHttps = base.protocol === 'https:' && ep.socketPath === undefined;
  const options: https.RequestOptions = {
    method: x.method ?? 'GET',
    path: `${base.pathname.replace(/\/$/, '')}${x.path}`,
    headers,
    agent: false,
    ...(ep.socketPath === undefined
      ? { host: base.hostname.replace(/^\[|\]$/g, ''), port: base.port || (isHttps ? 443 : 80) }
      : { socketPath: ep.socketPath }),
    ...(ep.ca === undefined ? {} : { ca: ep.ca }),
    ...(ep.cert === undefined ? {} : { cert: ep.cert }),
    ...(ep.key === undefined ? {} : { key: ep.key }),
  };
  return new Promise((resolve, reject) => {
    const req = (isHttps ? https : http).request(options);
    // A long-lived stream over a connection that died silently (a half-open TCP) would wait
    // forever: keep-alive probes turn that into a socket error, and so into a reconnect.
    if (isStream) req.on('socket', (socket) => socket.setKeepAlive(true, 30_000));
    const fail = (err: Error): void => {
      req.destroy();
      reject(discoveryError(x.source, `${options.method} ${x.path}: ${err.message}`, err));
    };
    // The deadline covers the response head; a stream then has its own idle limit.
    const timer = setTimeout(
      () => fail(new Error(`no response within ${x.timeoutMs} ms`)),
      x.timeoutMs,
    );
    const onAbort = (): void => fail(new Error('aborted'));
    x.signal?.addEventListener('abort', onAbort, { once: true });
    req.on('error', (err) => {
      clearTimeout(timer);
      x.signal?.removeEventListener('abort', onAbort);
      reject(discoveryError(x.source, `${options.method} ${x.path}: ${err.message}`, err));
    });
    req.on('response', (res) => {
      clearTimeout(timer);
      if (!isStream) x.signal?.removeEventListener('abort', onAbort);
      resolve({ res, req });
    });
    req.end(body);
  });
}

async function readAll(res: http.IncomingMessage, x: Exchange): Promise<string> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of res as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY_BYTES) {
      res.destroy();
      throw discoveryError(x.source, `${x.path}: response larger than ${MAX_BODY_BYTES} bytes`);
    }
    chunks.push(chunk);
  }
  return Buffer.concat(chunks).toString('utf8');
}

/** A JSON response with its headers. Rejects on a non-2xx status, naming it. */
export async function requestJson<T>(
  ep: ControlEndpoint,
  x: Exchange,
): Promise<{ body: T; headers: http.IncomingHttpHeaders }> {
  const { res, req } = await open(ep, x, false);
  const timer = setTimeout(() => req.destroy(new Error('body timeout')), x.timeoutMs);
  try {
    const text = await readAll(res, x);
    const status = res.statusCode ?? 0;
    if (status < 200 || status > 299) {
      throw discoveryError(x.source, `${x.path} answered ${status}: ${text.slice(0, 200).trim()}`);
    }
    try {
      return { body: JSON.parse(text) as T, headers: res.headers };
    } catch (err) {
      throw discoveryError(x.source, `${x.path}: the response is not JSON`, err);
    }
  } catch (err) {
    if (err instanceof RwsError) throw err;
    throw discoveryError(x.source, `${x.path}: ${(err as Error).message}`, err);
  } finally {
    clearTimeout(timer);
  }
}

/** Options of `streamJsonLines`. */
interface StreamOptions extends Exchange {
  /** Called with each parsed line; a line that is not JSON ends the stream with an error. */
  readonly onValue: (value: unknown) => void;
  /** With no byte for this long the stream is considered dead (0: no limit). */
  readonly idleMs: number;
}

/**
 * Reads a long-lived response of newline-delimited JSON (etcd watch, Docker events, Kubernetes
 * watch) until it ends, errors, goes idle or `signal` aborts. Resolves when the server ended it
 * cleanly; rejects otherwise (the caller re-lists and reconnects).
 */
export async function streamJsonLines(ep: ControlEndpoint, x: StreamOptions): Promise<void> {
  const { res, req } = await open(ep, x, true);
  const status = res.statusCode ?? 0;
  if (status < 200 || status > 299) {
    const text = await readAll(res, x).catch(() => '');
    throw discoveryError(x.source, `${x.path} answered ${status}: ${text.slice(0, 200).trim()}`);
  }
  let idle: NodeJS.Timeout | null = null;
  const touch = (): void => {
    if (x.idleMs <= 0) return;
    if (idle !== null) clearTimeout(idle);
    idle = setTimeout(() => req.destroy(new Error(`no data for ${x.idleMs} ms`)), x.idleMs);
  };
  const onAbort = (): void => {
    req.destroy(new Error('aborted'));
  };
  x.signal?.addEventListener('abort', onAbort, { once: true });
  let pending = '';
  try {
    touch();
    for await (const chunk of res as AsyncIterable<Buffer>) {
      touch();
      pending += chunk.toString('utf8');
      if (pending.length > MAX_BODY_BYTES) {
        throw new Error(`a stream line is longer than ${MAX_BODY_BYTES} bytes`);
      }
      let nl = pending.indexOf('\n');
      while (nl !== -1) {
        const line = pending.slice(0, nl).trim();
        pending = pending.slice(nl + 1);
        if (line !== '') x.onValue(JSON.parse(line));
        nl = pending.indexOf('\n');
      }
    }
    if (pending.trim() !== '') x.onValue(JSON.parse(pending));
  } catch (err) {
    throw discoveryError(x.source, `${x.path} stream: ${(err as Error).message}`, err);
  } finally {
    if (idle !== null) clearTimeout(idle);
    x.signal?.removeEventListener('abort', onAbort);
    req.destroy();
  }
}

/**
 * Runs `connect` again and again until `signal` aborts: after each end or failure it waits
 * (doubling from `minMs` to `maxMs`, reset after a stream that lasted) and calls `onBreak`, so
 * the owner re-lists what it may have missed and logs the outage.
 */
export function keepStreaming(
  connect: (signal: AbortSignal) => Promise<void>,
  onBreak: (error: Error | null) => void,
  options: { minMs?: number | undefined; maxMs?: number | undefined } = {},
): () => void {
  const controller = new AbortController();
  const minMs = options.minMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  void (async () => {
    let delay = 0;
    while (!controller.signal.aborted) {
      const started = Date.now();
      let error: Error | null = null;
      try {
        await connect(controller.signal);
      } catch (err) {
        error = err instanceof Error ? err : new Error(String(err));
      }
      if (controller.signal.aborted) return;
      onBreak(error);
      // A stream that lasted was healthy: start the back-off over.
      const hasLasted = Date.now() - started > maxMs;
      delay = delay === 0 || hasLasted ? minMs : Math.min(delay * 2, maxMs);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        t.unref();
        controller.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  })();
  return () => controller.abort();
}
