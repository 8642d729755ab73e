/**
 * The client over TLS against node:https: CA trust, SNI, rejectUnauthorized and client
 * certificates (mTLS). Certificates are generated per run with openssl in a temp dir.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { isRwsError } from '@rws/core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { createPool } from '../src/pool.js';
import { rejection } from './client-helpers.js';

let dir = '';
const pem: Record<string, string> = {};

function openssl(...args: string[]): void {
  execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
}

beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rws-h1-client-tls-'));
  openssl(
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-days',
    '1',
    '-subj',
    '/CN=rws test CA',
    '-keyout',
    'ca.key',
    '-out',
    'ca.crt',
  );
  writeFileSync(
    join(dir, 'server.ext'),
    'subjectAltName=DNS:localhost,DNS:api.rws.test,IP:127.0.0.1\nextendedKeyUsage=serverAuth\n',
  );
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=localhost',
    '-keyout',
    'server.key',
    '-out',
    'server.csr',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'server.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'server.ext',
    '-out',
    'server.crt',
  );
  writeFileSync(join(dir, 'client.ext'), 'extendedKeyUsage=clientAuth\n');
  openssl(
    'req',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-subj',
    '/CN=rws client',
    '-keyout',
    'client.key',
    '-out',
    'client.csr',
  );
  openssl(
    'x509',
    '-req',
    '-in',
    'client.csr',
    '-CA',
    'ca.crt',
    '-CAkey',
    'ca.key',
    '-CAcreateserial',
    '-days',
    '1',
    '-extfile',
    'client.ext',
    '-out',
    'client.crt',
  );
  for (const name of ['ca.crt', 'server.key', 'server.crt', 'client.key', 'client.crt']) {
    pem[name] = readFileSync(join(dir, name), 'utf8');
  }
}, 60_000);

afterAll(() => {
  if (dir !== '') rmSync(dir, { recursive: true, force: true });
});

async function tlsServer(
  options: https.ServerOptions = {},
): Promise<{ port: number; connections: () => number }> {
  let count = 0;
  const server = https.createServer(
    { key: pem['server.key'], cert: pem['server.crt'], ...options },
    (req, res) => {
      const socket = req.socket as TLSSocket;
      const peer = socket.getPeerCertificate();
      res.end(
        JSON.stringify({
          sni: (socket as TLSSocket & { servername?: string | false }).servername || null,
          alpn: socket.alpnProtocol || null,
          peer: peer?.subject?.CN ?? null,
          host: req.headers.host,
        }),
      );
    },
  );
  server.on('secureConnection', () => count++);
  server.on('tlsClientError', () => {});
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  onTestFinished(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return { port: (server.address() as AddressInfo).port, connections: () => count };
}

describe('client over TLS', () => {
  it('trusts a CA, sends SNI, negotiates http/1.1 and reuses the TLS socket', async () => {
    const { port, connections } = await tlsServer({ ALPNProtocols: ['http/1.1'] });
    const pool = createPool(`https://127.0.0.1:${port}`, {
      tls: { ca: pem['ca.crt'], servername: 'api.rws.test' },
    });
    const a = await (await pool.request({ path: '/' })).body.json();
    expect(a).toEqual({
      sni: 'api.rws.test',
      alpn: 'http/1.1',
      peer: null,
      host: `127.0.0.1:${port}`,
    });
    await (await pool.request({ path: '/' })).body.json();
    expect(connections()).toBe(1);
    await pool.close();
  });

  it('uses the origin host name as SNI by default (never an IP)', async () => {
    const { port } = await tlsServer();
    const byName = createPool(`https://localhost:${port}`, { tls: { ca: pem['ca.crt'] } });
    expect(await (await byName.request({})).body.json()).toMatchObject({ sni: 'localhost' });
    await byName.close();
    const byIp = createPool(`https://127.0.0.1:${port}`, { tls: { ca: pem['ca.crt'] } });
    expect(await (await byIp.request({})).body.json()).toMatchObject({ sni: null });
    await byIp.close();
  });

  it('rejects an untrusted certificate unless rejectUnauthorized is false', async () => {
    const { port } = await tlsServer();
    const strict = createPool(`https://127.0.0.1:${port}`);
    const err = await rejection(strict.request({}));
    expect(isRwsError(err, 'RWS_HTTP1_CONNECT_FAILED'), err.message).toBe(true);
    expect(err.message).toMatch(/certificate/i);
    await strict.close();
    const lax = createPool(`https://127.0.0.1:${port}`, { tls: { rejectUnauthorized: false } });
    expect((await lax.request({})).status).toBe(200);
    await lax.close();
  });

  it('rejects a certificate for another name', async () => {
    const { port } = await tlsServer();
    const pool = createPool(`https://127.0.0.1:${port}`, {
      tls: { ca: pem['ca.crt'], servername: 'other.example' },
    });
    const err = await rejection(pool.request({}));
    expect(isRwsError(err, 'RWS_HTTP1_CONNECT_FAILED'), err.message).toBe(true);
    await pool.close();
  });

  it('mutual TLS: presents a client certificate; without one the server refuses', async () => {
    const { port } = await tlsServer({
      ca: pem['ca.crt'],
      requestCert: true,
      rejectUnauthorized: true,
    });
    const withCert = createPool(`https://localhost:${port}`, {
      tls: { ca: pem['ca.crt'], cert: pem['client.crt'], key: pem['client.key'] },
    });
    expect(await (await withCert.request({})).body.json()).toMatchObject({ peer: 'rws client' });
    await withCert.close();
    const without = createPool(`https://localhost:${port}`, { tls: { ca: pem['ca.crt'] } });
    const err = await rejection(without.request({}).then((r) => r.body.text()));
    // TLS 1.3 reports the refusal after the handshake, so it can surface as either code.
    expect(err.code).toMatch(/^RWS_HTTP1_(CONNECT_FAILED|SOCKET_CLOSED)$/);
    await without.close();
  });
});
