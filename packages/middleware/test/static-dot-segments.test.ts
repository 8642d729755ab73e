import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { compose, Headers } from '@rws/core';
import { createServer, type Http1Server } from '@rws/http1';
import { serveStatic } from '@rws/middleware/static';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

// Issue #8: dot-segment forms of the root redirected to `Location: //` (a protocol-relative
// URL). Sent as exact bytes over a raw socket, so no client normalises the path first.

let server: Http1Server;
let port: number;
let base: string;

beforeAll(async () => {
  base = mkdtempSync(join(tmpdir(), 'rws-dots-'));
  mkdirSync(join(base, 'docs'));
  writeFileSync(join(base, 'docs', 'a.txt'), 'a');
  const files = serveStatic({ root: base, fallthrough: false });
  server = createServer(
    compose([files], () => ({ status: 404, headers: new Headers(), body: null })),
    {
      onError: () => {},
    },
  );
  ({ port } = await server.listen({ host: '127.0.0.1', port: 0 }));
});

afterAll(async () => {
  await server.close({ graceMs: 100 });
  rmSync(base, { recursive: true, force: true });
});

function rawGet(target: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setEncoding('latin1');
    socket.on('data', (chunk: string) => {
      data += chunk;
    });
    socket.on('error', reject);
    socket.on('end', () => resolve(data));
    socket.write(`GET ${target} HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n`);
  });
}

function head(raw: string): { status: number; location: string | null } {
  const lines = raw.slice(0, raw.indexOf('\r\n\r\n')).split('\r\n');
  const status = Number(lines[0]?.split(' ')[1]);
  const loc = lines.find((l) => l.toLowerCase().startsWith('location:'));
  return { status, location: loc === undefined ? null : loc.slice(9).trim() };
}

describe('serveStatic: dot segments naming the root (issue #8)', () => {
  it.each(['/.', '/%2e', '/%2E', '/./.', '/.//.', '//.', '/%2e/%2e'])(
    'GET %s → 301 Location: /',
    async (target) => {
      const res = head(await rawGet(target));
      expect(res.status).toBe(301);
      expect(res.location).toBe('/');
    },
  );

  it('GET /.?x=1 keeps the query; GET /docs/. → /docs/', async () => {
    expect(head(await rawGet('/.?x=1'))).toEqual({ status: 301, location: '/?x=1' });
    expect(head(await rawGet('/docs/.'))).toEqual({ status: 301, location: '/docs/' });
    expect(head(await rawGet('/docs/%2e'))).toEqual({ status: 301, location: '/docs/' });
  });
});
