/**
 * Runs Debian's BIND 9 (`named`, package `bind9`) for one test: an authoritative primary of
 * one zone on a free port of 127.0.0.1 that takes DNS UPDATE (RFC 2136) signed with one TSIG
 * key, the peer an RFC 2136 DNS-01 provider is tested against.
 */
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { Resolver } from 'node:dns/promises';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { onTestFinished } from 'vitest';
import { reservePort } from './ports.js';

/** True when `named` is installed (`apt-get install bind9`). */
export const HAS_BIND: boolean = existsSync('/usr/sbin/named');

/** A running `named`. */
export interface RunningBind {
  /** `127.0.0.1:<port>` (UDP and TCP). */
  readonly server: string;
  readonly port: number;
  readonly zone: string;
  readonly keyName: string;
  /** The TSIG secret, base64. */
  readonly keySecret: string;
  /** The TXT records of `name` now (each record's strings joined). */
  txt(name: string): Promise<string[]>;
  output(): string;
}

/** Starts `named` for `zone`; it is killed when the test ends. */
export async function startBind(options: { zone: string }): Promise<RunningBind> {
  const dir = mkdtempSync(join(tmpdir(), 'rws-bind-'));
  // named listens on UDP and TCP.
  const port = await reservePort({ udp: true });
  const keyName = 'rws-acme-update';
  const keySecret = randomBytes(32).toString('base64');
  const zone = options.zone;
  writeFileSync(
    join(dir, 'zone.db'),
    [
      '$TTL 60',
      `@ IN SOA ns.${zone}. hostmaster.${zone}. 1 60 60 600 60`,
      `@ IN NS ns.${zone}.`,
      'ns IN A 127.0.0.1',
      '',
    ].join('\n'),
  );
  writeFileSync(
    join(dir, 'named.conf'),
    `options {
  directory "${dir}";
  pid-file "${dir}/named.pid";
  session-keyfile "${dir}/session.key";
  managed-keys-directory "${dir}";
  listen-on port ${port} { 127.0.0.1; };
  listen-on-v6 { none; };
  recursion no;
  dnssec-validation no;
  allow-query { any; };
};
controls { };
key "${keyName}" { algorithm hmac-sha256; secret "${keySecret}"; };
zone "${zone}" { type primary; file "${dir}/zone.db"; allow-update { key "${keyName}"; }; };
`,
  );
  const log: string[] = [];
  // -g: foreground, log to stderr; as root it would switch to the bind user without -u root.
  const child = spawn('/usr/sbin/named', ['-g', '-c', join(dir, 'named.conf'), '-u', 'root'], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.setEncoding('utf8').on('data', (d: string) => log.push(d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => log.push(d));
  onTestFinished(() => {
    child.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });
  const resolver = new Resolver({ timeout: 1000, tries: 1 });
  resolver.setServers([`127.0.0.1:${port}`]);
  const deadline = Date.now() + 30_000;
  for (;;) {
    const soa = await resolver.resolveSoa(zone).catch(() => null);
    if (soa !== null) break;
    if (child.exitCode !== null || Date.now() > deadline) {
      throw new Error(`named did not start:\n${log.join('')}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  return {
    server: `127.0.0.1:${port}`,
    port,
    zone,
    keyName,
    keySecret,
    txt: async (name) =>
      (await resolver.resolveTxt(name).catch(() => [] as string[][])).map((r) => r.join('')),
    output: () => log.join(''),
  };
}
