/**
 * OCSP stapling against a real responder: a CA made with openssl in a temp dir, `openssl ocsp`
 * answering from its index file, node:tls clients asking for `status_request`, and every
 * stapled response checked by `openssl ocsp -respin` (signature, certificate, status).
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect } from 'node:tls';
import { isRwsError, text } from '@rws/core';
import { Http3Client } from '@rws/h3';
import { reservePort } from '@rws/test-helpers';
import { afterAll, afterEach, beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { start } from './helpers.js';

let dir: string;
let responderPort: number;
let serial: string;
const LEAF_DN = '/CN=localhost';
let responder: ChildProcess | null = null;

function openssl(...args: string[]): string {
  return execFileSync('openssl', args, { cwd: dir, encoding: 'utf8', stdio: 'pipe' });
}

/** openssl's index.txt line: V(alid) or R(evoked), expiry, revocation time, serial, file, DN. */
function writeIndex(status: 'V' | 'R'): void {
  const revokedAt = status === 'R' ? '250101000000Z' : '';
  writeFileSync(
    join(dir, 'index.txt'),
    `${status}\t351231000000Z\t${revokedAt}\t${serial}\tunknown\t${LEAF_DN}\n`,
  );
}

/**
 * `openssl ocsp` as the CA's responder on `responderPort`, signing with `<signer>.pem/.key`
 * (the CA itself, a delegated responder, or a rogue key); responses valid for one minute.
 */
async function startResponderOnce(signer: string): Promise<void> {
  const child = spawn(
    'openssl',
    [
      'ocsp',
      '-index',
      'index.txt',
      '-port',
      String(responderPort),
      '-rsigner',
      `${signer}.pem`,
      '-rkey',
      `${signer}.key`,
      '-CA',
      'ca.pem',
      '-nmin',
      '1',
      '-ignore_err',
    ],
    { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'] },
  );
  responder = child;
  // It prints "ACCEPT 127.0.0.1:port" (stderr or stdout, by version) once it listens.
  await new Promise<void>((resolve, reject) => {
    const onData = (chunk: Buffer): void => {
      if (chunk.toString().includes('ACCEPT')) resolve();
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', onData);
    child.once('exit', (code) => reject(new Error(`openssl ocsp exited with ${code}`)));
  });
}

/** Starts the responder, retrying while the port is still held by the previous one. */
async function startResponder(signer = 'ca'): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startResponderOnce(signer);
    } catch (err) {
      if (attempt >= 20) throw err;
      await new Promise((r) => setTimeout(r, 500));
    }
  }
}

/** Kills the responder and waits until it is gone, so the next one can bind the port. */
async function stopResponder(): Promise<void> {
  const child = responder;
  responder = null;
  if (child === null || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill();
  await exited;
}

/** Connects with `status_request`; resolves the stapled response, or null when none came. */
function handshake(port: number): Promise<Buffer | null> {
  return new Promise((resolve, reject) => {
    let stapled: Buffer | null = null;
    const socket = connect({
      port,
      host: '127.0.0.1',
      servername: 'localhost',
      ca: execFileSync('cat', [join(dir, 'ca.pem')]),
      requestOCSP: true,
      ALPNProtocols: ['http/1.1'],
    });
    socket.on('OCSPResponse', (response: Buffer) => {
      if (response && response.length > 0) stapled = response;
    });
    socket.once('secureConnect', () => {
      socket.end();
      resolve(stapled);
    });
    socket.once('error', reject);
  });
}

/** Polls handshakes until one carries a staple (the first fetch runs in the background). */
async function stapledResponse(port: number, timeoutMs = 60_000): Promise<Buffer> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const stapled = await handshake(port);
    if (stapled !== null) return stapled;
    if (Date.now() > deadline) throw new Error('no stapled OCSP response');
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** openssl's verdict on a stapled response: verifies the signature and prints the status. */
function verifyWithOpenssl(der: Buffer): string {
  writeFileSync(join(dir, 'staple.der'), der);
  return openssl(
    'ocsp',
    '-respin',
    'staple.der',
    '-CAfile',
    'ca.pem',
    '-issuer',
    'ca.pem',
    '-cert',
    'leaf.pem',
  );
}

function tlsOptions() {
  return { tlsCertFile: join(dir, 'chain.pem'), tlsKeyFile: join(dir, 'leaf.key') };
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'rws-ocsp-'));
  responderPort = await reservePort();
  openssl(
    'req',
    '-x509',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '30',
    '-subj',
    '/CN=rws OCSP test CA',
  );
  openssl(
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'leaf.key',
    '-out',
    'leaf.csr',
    '-subj',
    LEAF_DN,
  );
  writeFileSync(
    join(dir, 'leaf.ext'),
    [
      'subjectAltName = DNS:localhost, IP:127.0.0.1',
      `authorityInfoAccess = OCSP;URI:http://127.0.0.1:${responderPort}`,
      '',
    ].join('\n'),
  );
  serial = '5A17E3';
  openssl(
    'x509',
    '-req',
    '-in',
    'leaf.csr',
    '-CA',
    'ca.pem',
    '-CAkey',
    'ca.key',
    '-set_serial',
    `0x${serial}`,
    '-days',
    '20',
    '-extfile',
    'leaf.ext',
    '-out',
    'leaf.pem',
  );
  writeFileSync(
    join(dir, 'chain.pem'),
    openssl('x509', '-in', 'leaf.pem') + openssl('x509', '-in', 'ca.pem'),
  );
  // A responder the CA delegated to (id-kp-OCSPSigning), and a rogue one it never certified.
  writeFileSync(join(dir, 'responder.ext'), 'extendedKeyUsage = OCSPSigning\n');
  // biome-ignore format: flag/value pairs
  openssl('req', '-new', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'responder.key', '-out', 'responder.csr', '-subj', '/CN=rws OCSP responder');
  // biome-ignore format: flag/value pairs
  openssl('x509', '-req', '-in', 'responder.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key',
    '-set_serial', '0x77', '-days', '20', '-extfile', 'responder.ext', '-out', 'responder.pem');
  // biome-ignore format: flag/value pairs
  openssl('req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes',
    '-keyout', 'rogue.key', '-out', 'rogue.pem', '-days', '20', '-subj', '/CN=rogue',
    '-addext', 'extendedKeyUsage = OCSPSigning');
}, 60_000);

afterEach(() => stopResponder());
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('OCSP stapling', () => {
  it('staples a good response from the AIA responder by default', async () => {
    writeIndex('V');
    await startResponder();
    const server = await start(() => text('ok'), tlsOptions());
    const stapled = await stapledResponse(server.address.port);
    const verdict = verifyWithOpenssl(stapled);
    expect(verdict).toMatch(/leaf\.pem: good/);
    // The response is cached: with the responder gone, handshakes still carry it.
    await stopResponder();
    const again = await handshake(server.address.port);
    expect(again?.equals(stapled)).toBe(true);
  }, 120_000);

  it('never fails a handshake while the responder is down, and staples once it is back', async () => {
    writeIndex('V');
    const errors: unknown[] = [];
    const server = await start(() => text('ok'), {
      ...tlsOptions(),
      ocspStapling: { retryMinMs: 300, retryMaxMs: 1000, timeoutMs: 5000 },
      onError: (err) => errors.push(err),
    });
    expect(await handshake(server.address.port)).toBeNull();
    await expect.poll(() => errors.length, { timeout: 30_000 }).toBeGreaterThan(0);
    const first = errors[0];
    expect(isRwsError(first) && first.code).toBe('RWS_SERVER_OCSP_FAILED');
    expect((first as Error).message).toContain(`http://127.0.0.1:${responderPort}`);
    expect(await handshake(server.address.port)).toBeNull();
    await startResponder();
    const stapled = await stapledResponse(server.address.port);
    expect(verifyWithOpenssl(stapled)).toMatch(/leaf\.pem: good/);
  }, 120_000);

  it('staples the same cached response over HTTP/3 (issue #21), verified by openssl', async () => {
    writeIndex('V');
    await startResponder();
    const server = await start(() => text('ok over h3'), { ...tlsOptions(), http3: true });
    const port = server.address.port;
    const stapled = await stapledResponse(port);
    const ask = async (requestOcsp: boolean) => {
      const client = await Http3Client.connect({
        host: '127.0.0.1',
        port,
        serverName: 'localhost',
        ca: [readFileSync(join(dir, 'ca.pem'), 'utf8')],
        requestOcsp,
      });
      onTestFinished(() => client.close());
      const res = await client.request({ path: '/', authority: 'localhost' });
      expect(Buffer.from(res.body).toString()).toBe('ok over h3');
      return client.ocspResponse;
    };
    const overH3 = await ask(true);
    expect(overH3 === undefined ? null : Buffer.from(overH3)).toEqual(stapled);
    expect(verifyWithOpenssl(Buffer.from(overH3!))).toMatch(/leaf\.pem: good/);
    // Only for clients that ask (status_request).
    expect(await ask(false)).toBeUndefined();
  }, 120_000);

  it('staples a response signed by a responder the CA delegated to', async () => {
    writeIndex('V');
    await startResponder('responder');
    const server = await start(() => text('ok'), tlsOptions());
    const stapled = await stapledResponse(server.address.port);
    expect(verifyWithOpenssl(stapled)).toMatch(/leaf\.pem: good/);
  }, 120_000);

  it('refuses a response signed by a key the CA never certified', async () => {
    writeIndex('V');
    await startResponder('rogue');
    const errors: unknown[] = [];
    const server = await start(() => text('ok'), {
      ...tlsOptions(),
      onError: (err) => errors.push(err),
    });
    await expect.poll(() => errors.length, { timeout: 60_000 }).toBeGreaterThan(0);
    expect(isRwsError(errors[0], 'RWS_SERVER_OCSP_FAILED')).toBe(true);
    expect((errors[0] as Error).message).toMatch(
      /not signed by the issuer or an authorized responder/,
    );
    expect(await handshake(server.address.port)).toBeNull();
  }, 120_000);

  it('staples a revoked status and reports it', async () => {
    writeIndex('R');
    await startResponder();
    const errors: unknown[] = [];
    const server = await start(() => text('ok'), {
      ...tlsOptions(),
      onError: (err) => errors.push(err),
    });
    const stapled = await stapledResponse(server.address.port);
    expect(verifyWithOpenssl(stapled)).toMatch(/leaf\.pem: revoked/);
    const revoked = errors.find(
      (e) => isRwsError(e) && e.code === 'RWS_SERVER_CERTIFICATE_REVOKED',
    );
    expect((revoked as Error).message).toContain('5A17E3');
  }, 120_000);

  it('refreshes the response in the background before its nextUpdate', async () => {
    writeIndex('V');
    await startResponder();
    const server = await start(() => text('ok'), tlsOptions());
    const first = await stapledResponse(server.address.port);
    expect(verifyWithOpenssl(first)).toMatch(/leaf\.pem: good/);
    // The response says nextUpdate = thisUpdate + 1 minute, so the server fetches a fresh one
    // about 30 s in, without any handshake asking for it, and staples that instead.
    const fetchedAt = Date.now();
    await expect
      .poll(async () => (await handshake(server.address.port))?.equals(first) === false, {
        timeout: 100_000,
        interval: 1000,
      })
      .toBe(true);
    expect(Date.now() - fetchedAt).toBeGreaterThan(20_000);
    const fresh = await stapledResponse(server.address.port);
    const thisUpdate = (text: string) => Date.parse(/This Update: (.+)/.exec(text)?.[1] ?? '');
    const verdict = verifyWithOpenssl(fresh);
    expect(verdict).toMatch(/leaf\.pem: good/);
    expect(thisUpdate(verdict)).toBeGreaterThan(thisUpdate(verifyWithOpenssl(first)));
  }, 150_000);

  it('staples nothing with ocspStapling: false', async () => {
    writeIndex('V');
    await startResponder();
    const server = await start(() => text('ok'), { ...tlsOptions(), ocspStapling: false });
    await new Promise((r) => setTimeout(r, 1000));
    expect(await handshake(server.address.port)).toBeNull();
  }, 60_000);

  it('rejects a bad ocspStapling option naming the field', async () => {
    await expect(
      start(() => text('ok'), { ...tlsOptions(), ocspStapling: { timeoutMs: -1 } }),
    ).rejects.toThrow(/ocspStapling\.timeoutMs: must be a number > 0/);
  });
});
