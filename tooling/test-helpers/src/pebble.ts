/**
 * Runs Debian's `pebble` ACME test CA (and `pebble-challtestsrv` as its DNS server, answering
 * every A query with 127.0.0.1) on free ports for one test. Pebble validates HTTP-01 on
 * `httpPort` and TLS-ALPN-01 on `tlsPort` of 127.0.0.1, i.e. on the server under test.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, writeFileSync } from 'node:fs';
import { get } from 'node:https';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { createTestCertificates } from './certificates.js';
import { reservePort } from './ports.js';

/** True when Debian's `pebble` package is installed (`apt-get install pebble`). */
export const HAS_PEBBLE: boolean =
  existsSync('/usr/bin/pebble') && existsSync('/usr/bin/pebble-challtestsrv');

/** A running pebble. */
export interface Pebble {
  directoryUrl: string;
  /** Trust anchor of pebble's own HTTPS endpoints (the directory). */
  ca: string;
  /** Pebble's issuing root for this run (it makes a new one each start). */
  root(): Promise<string>;
  /** Everything pebble printed, for failure messages. */
  output(): string;
  /**
   * The management API of pebble-challtestsrv, the DNS server pebble resolves with: `POST
   * /set-txt {"host","value"}` and `/clear-txt {"host"}` publish DNS-01 answers.
   */
  challtestsrvUrl: string;
  /** Kills pebble (the CA goes away mid-test). */
  stop(): void;
}

/** Options of `startPebble`. */
export interface PebbleOptions {
  httpPort: number;
  tlsPort: number;
  /** Validity of issued certificates in seconds. Default pebble's (5 years). */
  validitySeconds?: number;
  /** Percentage of good nonces rejected with badNonce. Default 0. */
  nonceRejectPercent?: number;
  /**
   * `host:port` of the DNS server pebble resolves DNS-01 TXT records with (a real
   * authoritative server such as BIND). Default: a pebble-challtestsrv started beside it.
   */
  dnsServer?: string;
}

function fetchText(url: string, ca: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = get(url, { ca, timeout: 5_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => {
        body += c;
      });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('timeout', () => req.destroy(new Error(`no answer from ${url} within 5 s`)));
    req.on('error', reject);
  });
}

function spawnLogged(
  cmd: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  log: string[],
): ChildProcess {
  const child = spawn(cmd, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  child.stderr?.setEncoding('utf8').on('data', (d: string) => log.push(d));
  onTestFinished(() => {
    child.kill('SIGKILL');
  });
  return child;
}

/** Starts pebble and its DNS server; both are killed when the test ends. */
export async function startPebble(options: PebbleOptions): Promise<Pebble> {
  const certs = createTestCertificates({ prefix: 'rws-pebble-' });
  onTestFinished(() => certs.cleanup());
  const [listen, management, dnsManagement] = [
    await reservePort(),
    await reservePort(),
    await reservePort(),
  ];
  const dns = await reservePort({ udp: true });
  const config = join(certs.dir, 'pebble-config.json');
  writeFileSync(
    config,
    JSON.stringify({
      pebble: {
        listenAddress: `127.0.0.1:${listen}`,
        managementListenAddress: `127.0.0.1:${management}`,
        certificate: certs.server.certFile,
        privateKey: certs.server.keyFile,
        httpPort: options.httpPort,
        tlsPort: options.tlsPort,
        ocspResponderURL: '',
        externalAccountBindingRequired: false,
        ...(options.validitySeconds === undefined
          ? {}
          : { certificateValidityPeriod: options.validitySeconds }),
      },
    }),
  );
  const log: string[] = [];
  if (options.dnsServer === undefined)
    spawnLogged(
      'pebble-challtestsrv',
      [
        '-defaultIPv4',
        '127.0.0.1',
        '-defaultIPv6',
        '',
        '-dns01',
        `127.0.0.1:${dns}`,
        '-http01',
        '',
        '-https01',
        '',
        '-tlsalpn01',
        '',
        '-management',
        `127.0.0.1:${dnsManagement}`,
      ],
      process.env,
      log,
    );
  const pebbleProcess = spawnLogged(
    'pebble',
    ['-config', config, '-dnsserver', options.dnsServer ?? `127.0.0.1:${dns}`],
    {
      ...process.env,
      PEBBLE_VA_NOSLEEP: '1',
      PEBBLE_WFE_NONCEREJECT: String(options.nonceRejectPercent ?? 0),
    },
    log,
  );
  const directoryUrl = `https://127.0.0.1:${listen}/dir`;
  const ca = certs.ca.cert;
  // Generous: the machine may be busy, and pebble generates its keys at start.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const res = await fetchText(directoryUrl, ca).catch(() => null);
    if (res?.status === 200) break;
    if (Date.now() > deadline) throw new Error(`pebble did not start:\n${log.join('')}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    directoryUrl,
    ca,
    root: async () => (await fetchText(`https://127.0.0.1:${management}/roots/0`, ca)).body,
    output: () => log.join(''),
    challtestsrvUrl: `http://127.0.0.1:${dnsManagement}`,
    stop: () => {
      pebbleProcess.kill('SIGKILL');
    },
  };
}
