/**
 * Test helpers: start a server on 127.0.0.1:0 that closes itself when the test ends, and talk
 * to it over raw node:net sockets with exact bytes.
 */
import { connect, type Socket } from 'node:net';
import { type Handler, Headers, type Response } from '@rws/core';
import { onTestFinished } from 'vitest';
import { createServer, type Http1Server, type Http1ServerOptions } from '../src/index.js';

export interface Started {
  server: Http1Server;
  port: number;
  url: string;
}

/** Starts a server and registers its close with the running test. */
export async function start(handler: Handler, options: Http1ServerOptions = {}): Promise<Started> {
  const server = createServer(handler, { onError: () => {}, ...options });
  const { port } = await server.listen({ port: 0 });
  onTestFinished(() => server.close({ graceMs: 50 }));
  return { server, port, url: `http://127.0.0.1:${port}` };
}

/** A plain text response. */
export function text(body: string, status = 200, headers?: Record<string, string>): Response {
  return { status, headers: new Headers(headers), body };
}

/** One parsed response off the wire. */
export interface WireResponse {
  status: number;
  head: string;
  headers: Record<string, string>;
  body: string;
}

/** The result of a raw exchange. */
export interface Exchange {
  responses: WireResponse[];
  /** Everything received, as latin1. */
  raw: string;
  /** True when the server closed the connection. */
  closed: boolean;
}

/**
 * Parses complete responses out of `raw` (Content-Length, chunked, or to the end when
 * `closed`). `headRequests` marks which responses answer HEAD (no body).
 */
export function parseResponses(
  raw: string,
  closed: boolean,
  headRequests: boolean[] = [],
): WireResponse[] {
  const out: WireResponse[] = [];
  let pos = 0;
  while (pos < raw.length) {
    const end = raw.indexOf('\r\n\r\n', pos);
    if (end === -1) break;
    const head = raw.slice(pos, end);
    const lines = head.split('\r\n');
    const status = Number(lines[0]!.split(' ')[1]);
    const headers: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const i = line.indexOf(':');
      headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    let p = end + 4;
    if (status < 200) {
      out.push({ status, head, headers, body: '' });
      pos = p;
      continue;
    }
    const isHead = headRequests[out.filter((r) => r.status >= 200).length] === true;
    let body = '';
    if (isHead || status === 204 || status === 304) {
      // no body
    } else if (headers['transfer-encoding'] === 'chunked') {
      let complete = false;
      for (;;) {
        const lineEnd = raw.indexOf('\r\n', p);
        if (lineEnd === -1) break;
        const size = Number.parseInt(raw.slice(p, lineEnd), 16);
        if (size === 0) {
          const trailerEnd = raw.indexOf('\r\n\r\n', lineEnd);
          if (trailerEnd === -1) break;
          p = trailerEnd + 4;
          complete = true;
          break;
        }
        if (raw.length < lineEnd + 2 + size + 2) break;
        body += raw.slice(lineEnd + 2, lineEnd + 2 + size);
        p = lineEnd + 2 + size + 2;
      }
      if (!complete) break;
    } else if (headers['content-length'] !== undefined) {
      const n = Number(headers['content-length']);
      if (raw.length < p + n) break;
      body = raw.slice(p, p + n);
      p += n;
    } else {
      if (!closed) break;
      body = raw.slice(p);
      p = raw.length;
    }
    out.push({ status, head, headers, body });
    pos = p;
  }
  return out;
}

export interface ExchangeOptions {
  /** Resolve once this many final (>= 200) responses arrived. Default: wait for close. */
  responses?: number | undefined;
  /** Writes to send, in order, each after the previous one was flushed and a short pause. */
  parts?: (string | Buffer)[] | undefined;
  /** Half-close after writing. */
  end?: boolean | undefined;
  /** Fail after this many ms. Default 5000. */
  timeoutMs?: number | undefined;
  headRequests?: boolean[] | undefined;
}

/** Connects, writes `input` (or `parts`), and collects responses. */
export function exchange(
  port: number,
  input: string | Buffer,
  options: ExchangeOptions = {},
): Promise<Exchange> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    socket.setNoDelay(true);
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closed: boolean): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      const raw = Buffer.concat(chunks).toString('latin1');
      socket.destroy();
      resolve({ raw, closed, responses: parseResponses(raw, closed, options.headRequests) });
    };
    const timer = setTimeout(() => {
      if (done) return;
      done = true;
      socket.destroy();
      reject(
        new Error(
          `exchange timed out; got ${JSON.stringify(Buffer.concat(chunks).toString('latin1'))}`,
        ),
      );
    }, options.timeoutMs ?? 5000);
    socket.on('data', (chunk) => {
      chunks.push(chunk);
      if (options.responses !== undefined) {
        const raw = Buffer.concat(chunks).toString('latin1');
        const final = parseResponses(raw, false, options.headRequests).filter(
          (r) => r.status >= 200,
        );
        if (final.length >= options.responses) finish(false);
      }
    });
    socket.on('close', () => finish(true));
    socket.on('error', () => finish(true));
    socket.on('connect', async () => {
      const parts = options.parts ?? [input];
      for (let i = 0; i < parts.length; i++) {
        if (i > 0) await pause(2);
        if (socket.destroyed) return;
        socket.write(parts[i]!);
      }
      if (options.end === true) socket.end();
    });
  });
}

export function pause(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Opens a raw socket and resolves once connected; destroyed when the test ends. */
export function rawSocket(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => resolve(socket));
    socket.once('error', reject);
    onTestFinished(() => {
      socket.destroy();
    });
  });
}

/** Collects bytes from a socket until `predicate(raw)` holds or the socket closes. */
export function readUntil(
  socket: Socket,
  predicate: (raw: string) => boolean,
  timeoutMs = 5000,
): Promise<string> {
  return new Promise((resolve, reject) => {
    let raw = '';
    const onData = (chunk: Buffer): void => {
      raw += chunk.toString('latin1');
      if (predicate(raw)) {
        cleanup();
        resolve(raw);
      }
    };
    const onClose = (): void => {
      cleanup();
      resolve(raw);
    };
    const timer = setTimeout(() => {
      cleanup();
      reject(new Error(`readUntil timed out; got ${JSON.stringify(raw)}`));
    }, timeoutMs);
    const cleanup = (): void => {
      clearTimeout(timer);
      socket.removeListener('data', onData);
      socket.removeListener('close', onClose);
    };
    socket.on('data', onData);
    socket.on('close', onClose);
  });
}
