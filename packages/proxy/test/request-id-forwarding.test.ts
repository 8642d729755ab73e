/**
 * Issue #10: `requestId()` in front of `reverseProxy()`, as the `rws` gateway composes them, over
 * real sockets. The id is set without a second validation (core's `setTrusted`) and the
 * server writes the proxied response's head around its value (http1's response memo): every
 * response must still carry exactly its own id, the one the backend received, and a client's
 * id with characters an id may not have must not be forwarded or echoed.
 */
import * as net from 'node:net';
import type { Middleware } from '@rws/core';
import { requestId } from '@rws/middleware/request-id';
import { describe, expect, it, onTestFinished } from 'vitest';
import { reverseProxy } from '../src/index.js';
import { backend, serveProxy } from './helpers.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

interface Answer {
  head: string;
  id: string | undefined;
  body: string;
}

/** Writes `requests` on one raw keep-alive socket, one after another; the answers, parsed. */
async function oneByOne(origin: string, requests: Buffer[]): Promise<Answer[]> {
  const socket = net.connect(Number(new URL(origin).port), '127.0.0.1');
  onTestFinished(() => {
    socket.destroy();
  });
  let raw = Buffer.alloc(0);
  let wake: (() => void) | null = null;
  socket.on('data', (chunk: Buffer) => {
    raw = Buffer.concat([raw, chunk]);
    wake?.();
  });
  const answers: Answer[] = [];
  for (const request of requests) {
    socket.write(request);
    for (;;) {
      const end = raw.indexOf('\r\n\r\n');
      if (end !== -1) {
        const head = raw.subarray(0, end).toString('latin1');
        const length = Number(/\r\ncontent-length: (\d+)/i.exec(head)?.[1]);
        if (raw.length >= end + 4 + length) {
          const id = /\r\nx-request-id: ([^\r]*)/.exec(head)?.[1];
          answers.push({ head, id, body: raw.subarray(end + 4, end + 4 + length).toString() });
          raw = raw.subarray(end + 4 + length);
          break;
        }
      }
      await new Promise<void>((resolve) => {
        wake = resolve;
      });
    }
  }
  return answers;
}

const get = (id?: Buffer): Buffer =>
  Buffer.concat([
    Buffer.from('GET /x HTTP/1.1\r\nhost: gw\r\n'),
    id === undefined
      ? Buffer.alloc(0)
      : Buffer.concat([Buffer.from('x-request-id: '), id, Buffer.from('\r\n')]),
    Buffer.from('\r\n'),
  ]);

describe('request ids through the gateway (issue #10)', () => {
  it('each proxied response carries its own id, the one its backend request carried', async () => {
    const seen: (string | string[] | undefined)[] = [];
    const upstream = await backend((req, res) => {
      seen.push(req.headers['x-request-id']);
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end(`n=${seen.length}`);
    });
    const proxy = reverseProxy({ upstream: upstream.origin });
    const ids = requestId();
    const gateway: Middleware & { close(): Promise<void> } = {
      handle: (req, next) => ids.handle(req, (r) => proxy.handle(r, next)),
      close: () => proxy.close(),
    };
    const origin = await serveProxy(gateway);
    const requests = [
      get(),
      get(),
      get(Buffer.from('client-id-1')),
      get(),
      // Characters an id may not have: a space, obs-text (valid in a field, not in an id).
      get(Buffer.from('has space')),
      get(Buffer.from([0x63, 0x61, 0x66, 0xe9])),
      get(Buffer.from('x'.repeat(201))),
      get(Buffer.from('client-id-2-longer')),
      get(),
    ];
    const answers = await oneByOne(origin, requests);

    expect(answers.map((a) => a.body)).toEqual(requests.map((_, i) => `n=${i + 1}`));
    // The backend got exactly the id the client got back.
    expect(seen).toEqual(answers.map((a) => a.id));
    expect(answers[2]!.id).toBe('client-id-1');
    expect(answers[7]!.id).toBe('client-id-2-longer');
    for (const i of [0, 1, 3, 4, 5, 6, 8]) expect(answers[i]!.id).toMatch(UUID);
    const generated = [0, 1, 3, 4, 5, 6, 8].map((i) => answers[i]!.id);
    expect(new Set(generated).size).toBe(generated.length);
    // Apart from the id (and the Date), every head is the first one's, field for field.
    const shape = (a: Answer): string =>
      a.head
        .replace(`x-request-id: ${a.id}`, 'x-request-id: ID')
        .replace(/date: [^\r]*/, 'date: D');
    for (const a of answers) {
      expect(a.head.match(/\r\nx-request-id: /g)).toHaveLength(1);
      expect(shape(a)).toBe(shape(answers[0]!));
    }
    expect(answers[0]!.head).toMatch(/^HTTP\/1\.1 200 OK\r\n/);
    expect(answers[0]!.head).toContain('\r\ncontent-type: text/plain\r\n');
  });
});
