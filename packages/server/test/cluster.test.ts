/**
 * `workers: 2` on a real child process: both workers answer on one port, a killed worker is
 * replaced, SIGHUP reaches every worker, and SIGTERM drains the workers and exits 0.
 */

import { copyFileSync, readFileSync } from 'node:fs';
import { text } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import { Child, eventually } from './child.js';
import { generateCerts, isRefused, RawClient, start } from './helpers.js';

/**
 * The pid of the worker answering a new connection, or 0 after 2 s: node:cluster can lose a
 * connection it was handing to a worker at the moment that worker was killed.
 */
async function pidOnNewConnection(port: number): Promise<number> {
  const client = await RawClient.plain(port);
  const timer = setTimeout(() => client.socket.destroy(), 2000);
  try {
    const res = await client.request('/pid', { headers: 'connection: close\r\n' });
    return Number(res.body);
  } catch {
    return 0;
  } finally {
    clearTimeout(timer);
    client.socket.destroy();
  }
}

describe('cluster workers', () => {
  it('runs two workers on one port, restarts a killed one, drains on SIGTERM', async () => {
    const child = await Child.start({ workers: 2, graceMs: 5000 });
    const port = child.port;
    const primaryPid = child.proc.pid!;
    const pids = new Set<number>();
    await eventually(async () => {
      pids.add(await pidOnNewConnection(port));
      return pids.size === 2;
    }, 10_000);
    expect(pids.has(primaryPid)).toBe(false);
    // Issue #9: the primary's start-up 'message' listener is removed once a worker listens.
    const listening = child.events.find((e) => e.event === 'listening') as unknown as {
      messageListeners: number[];
    };
    // Two each: node:cluster's own (it re-emits on `cluster`) and the primary's for restarts.
    expect(listening.messageListeners).toEqual([2, 2]);

    // Kill one worker: the primary forks a replacement on the same port.
    const [victim] = [...pids];
    process.kill(victim!, 'SIGKILL');
    await eventually(async () => {
      const pid = await pidOnNewConnection(port).catch(() => 0);
      return pid !== 0 && !pids.has(pid);
    }, 15_000);

    // SIGHUP is forwarded to the workers, which run onReload.
    child.proc.kill('SIGHUP');
    await eventually(async () => child.events.filter((e) => e.event === 'reload').length >= 2);

    // SIGTERM: an in-flight request completes, then everything exits 0.
    const slow = await RawClient.plain(port);
    slow.socket.write('GET /slow?ms=800 HTTP/1.1\r\nhost: localhost\r\n\r\n');
    await child.waitFor((e) => e.event === 'slow-start');
    child.proc.kill('SIGTERM');
    const res = await slow.read();
    expect(res.body).toBe('slow done');
    expect(await child.exited).toEqual({ code: 0, signal: null });
    expect(await isRefused(port)).toBe(true);
    const shutdowns = child.events.filter((e) => e.event === 'shutdown');
    expect(shutdowns.filter((e) => e.worker === true)).toHaveLength(2);
    expect(shutdowns.filter((e) => e.worker === false)).toHaveLength(1);
  }, 45_000);

  it('rejects serve() in the primary when workers cannot listen', async () => {
    const taken = await start(() => text('taken'));
    const child = Child.spawn({ workers: 2, port: taken.address.port });
    const { code } = await child.exited;
    expect(code).toBe(1);
    expect(child.stderr).toContain('RWS_SERVER_WORKER_FAILED');
    expect(child.events.find((e) => e.event === 'listening')).toBeUndefined();
  }, 30_000);

  it('serves TLS and the redirect listener from workers; SIGHUP reloads certificates', async () => {
    const certs = generateCerts();
    onTestFinished(() => certs.cleanup());
    const ca = readFileSync(certs.ca.certFile);
    const certFile = `${certs.dir}/live.crt`;
    const keyFile = `${certs.dir}/live.key`;
    copyFileSync(certs.server.certFile, certFile);
    copyFileSync(certs.server.keyFile, keyFile);
    const child = await Child.start({
      workers: 2,
      tlsCertFile: certFile,
      tlsKeyFile: keyFile,
      httpRedirectPort: 0,
      hsts: 'max-age=31536000',
    });
    const listening = child.events.find((e) => e.event === 'listening') as unknown as {
      urls: { url: string; isRedirect: boolean }[];
    };
    const redirectUrl = listening.urls.find((u) => u.isRedirect)!.url;
    const redirect = await RawClient.plain(Number(new URL(redirectUrl).port));
    const moved = await redirect.request('/x');
    expect(moved.status).toBe(301);
    expect(moved.headers['location']).toBe(`https://localhost:${child.port}/x`);

    const serialOfNewConnection = async (): Promise<string> => {
      const client = await RawClient.tls(child.port, { ca, servername: 'localhost' });
      const res = await client.request('/');
      expect(res.headers['strict-transport-security']).toBe('max-age=31536000');
      const serial = client.tlsSocket.getPeerCertificate().serialNumber;
      client.socket.destroy();
      return serial;
    };
    const before = await serialOfNewConnection();
    copyFileSync(certs.servers.server2.certFile, certFile);
    copyFileSync(certs.servers.server2.keyFile, keyFile);
    child.proc.kill('SIGHUP');
    await eventually(async () => child.events.filter((e) => e.event === 'reload').length >= 2);
    // Every worker now presents the new certificate.
    for (let i = 0; i < 4; i++) expect(await serialOfNewConnection()).not.toBe(before);
    child.proc.kill('SIGTERM');
    expect((await child.exited).code).toBe(0);
  }, 45_000);
});
