/**
 * Traffic splits (canary) and service discovery: static, watched file, environment prefix,
 * and DNS A/AAAA/SRV against a tiny DNS server on 127.0.0.1 written here.
 */
import * as dgram from 'node:dgram';
import { mkdtempSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createRequest } from '@rws/core';
import { describe, expect, it, onTestFinished } from 'vitest';
import {
  createTrafficSplit,
  createUpstream,
  dnsSource,
  envSource,
  fileSource,
  reverseProxy,
  staticSource,
  type Upstream,
  watchDiscovery,
} from '../src/index.js';
import { labelled, serveProxy, sleep } from './helpers.js';

function upstream(name: string, backends: string[]): Upstream {
  const u = createUpstream({ name, backends });
  onTestFinished(() => u.close());
  return u;
}

async function waitFor(predicate: () => boolean, ms = 3000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(10);
  }
}

describe('traffic split', () => {
  it('shares requests by weight, exactly, and follows live weight changes', async () => {
    const stable = await labelled('stable');
    const canary = await labelled('canary');
    const s = upstream('stable', [stable.origin]);
    const c = upstream('canary', [canary.origin]);
    const split = createTrafficSplit({
      name: 'api',
      splits: [
        { upstream: s, weight: 90 },
        { upstream: c, weight: 10 },
      ],
    });
    const p = await serveProxy(reverseProxy({ upstream: split }));
    const count = async (n: number) => {
      const got: Record<string, number> = {};
      for (let i = 0; i < n; i++) {
        const t = await (await fetch(`${p}/`)).text();
        got[t] = (got[t] ?? 0) + 1;
      }
      return got;
    };
    expect(await count(100)).toEqual({ stable: 90, canary: 10 });
    split.update([
      { upstream: s, weight: 1 },
      { upstream: c, weight: 1 },
    ]);
    expect(await count(20)).toEqual({ stable: 10, canary: 10 });
    split.update([
      { upstream: s, weight: 0 },
      { upstream: c, weight: 1 },
    ]);
    expect(await count(5)).toEqual({ canary: 5 });
    expect(split.weights).toEqual([
      { name: 'stable', weight: 0 },
      { name: 'canary', weight: 1 },
    ]);
    expect(() => split.update([{ upstream: s, weight: 0 }])).toThrow(/at least one weight > 0/);
  });

  it('falls over to the other side when the chosen upstream has no backend', async () => {
    const stable = await labelled('stable');
    const s = upstream('stable', [stable.origin]);
    const empty = createUpstream({ name: 'empty', backends: [], failOpen: false });
    onTestFinished(() => empty.close());
    const split = createTrafficSplit({
      name: 'x',
      splits: [
        { upstream: empty, weight: 99 },
        { upstream: s, weight: 1 },
      ],
    });
    const req = createRequest({ method: 'GET', target: '/' });
    for (let i = 0; i < 5; i++) expect(split.pick(req)!.url).toBe(stable.origin);
  });
});

describe('discovery', () => {
  it('static and env prefix sources', async () => {
    expect(
      await staticSource([
        'http://10.0.0.1:80',
        { url: 'http://10.0.0.2:80', weight: 3 },
      ]).resolve(),
    ).toEqual([{ url: 'http://10.0.0.1:80' }, { url: 'http://10.0.0.2:80', weight: 3 }]);
    const env = {
      RWS_BACKEND_API_2: '10.0.0.3:81 weight=2',
      RWS_BACKEND_API_1: '10.0.0.1:80,10.0.0.2:80',
      OTHER: 'x',
    };
    expect(await envSource('RWS_BACKEND_API_', env).resolve()).toEqual([
      { url: 'http://10.0.0.1:80' },
      { url: 'http://10.0.0.2:80' },
      { url: 'http://10.0.0.3:81', weight: 2 },
    ]);
    await expect(envSource('B_', { B_1: '10.0.0.1 weight=x' }).resolve()).rejects.toThrow(/B_1:1/);
  });

  it('a watched file updates the upstream when it is saved or replaced; a bad file keeps the old list', async () => {
    const a = await labelled('a');
    const b = await labelled('b');
    const dir = mkdtempSync(join(tmpdir(), 'rws-proxy-discovery-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'backends.txt');
    writeFileSync(file, `# api backends\n${a.origin}\n`);
    const u = upstream('file', []);
    const errors: Error[] = [];
    const watch = watchDiscovery(u, fileSource(file), {
      refreshMs: 60_000,
      onError: (e) => errors.push(e),
    });
    onTestFinished(() => watch.close());
    await watch.ready;
    expect(u.backends.map((x) => x.url)).toEqual([a.origin]);
    const p = await serveProxy(reverseProxy({ upstream: u }));
    expect(await (await fetch(`${p}/`)).text()).toBe('a');
    // An atomic replace (write aside, rename over), as deploy tools do.
    writeFileSync(join(dir, 'next.txt'), `${b.origin.replace('http://', '')} weight=2\n`);
    renameSync(join(dir, 'next.txt'), file);
    await waitFor(() => u.backends[0]?.url === b.origin);
    expect(u.backends[0]!.weight).toBe(2);
    expect(await (await fetch(`${p}/`)).text()).toBe('b');
    writeFileSync(file, 'http://10.0.0.1:80 weight=oops\n');
    await waitFor(() => errors.length > 0);
    expect(u.backends.map((x) => x.url)).toEqual([b.origin]);
  });

  it('DNS A, AAAA and SRV with refresh, through a local DNS server', async () => {
    const dns = await startDns({
      'api.rws.test': { A: ['127.0.0.2', '127.0.0.1'], AAAA: ['::1'] },
      '_http._tcp.api.rws.test': {
        SRV: [
          { priority: 10, weight: 3, port: 8081, target: 'a.rws.test' },
          { priority: 10, weight: 0, port: 8082, target: 'b.rws.test' },
          { priority: 20, weight: 1, port: 8083, target: 'backup.rws.test' },
        ],
      },
      'a.rws.test': { A: ['127.0.0.10'] },
      'b.rws.test': { A: ['127.0.0.11'] },
    });
    const servers = [`127.0.0.1:${dns.port}`];
    expect(await dnsSource({ hostname: 'api.rws.test', port: 9000, servers }).resolve()).toEqual([
      { url: 'http://127.0.0.1:9000' },
      { url: 'http://127.0.0.2:9000' },
    ]);
    expect(
      await dnsSource({ hostname: 'api.rws.test', type: 'AAAA', port: 9000, servers }).resolve(),
    ).toEqual([{ url: 'http://[::1]:9000' }]);
    expect(
      await dnsSource({ hostname: '_http._tcp.api.rws.test', type: 'SRV', servers }).resolve(),
    ).toEqual([
      { url: 'http://127.0.0.10:8081', weight: 3 },
      { url: 'http://127.0.0.11:8082', weight: 1 },
    ]);
    // Refresh: the record changes, the upstream follows.
    const u = upstream('dns', []);
    const watch = watchDiscovery(u, dnsSource({ hostname: 'api.rws.test', port: 9000, servers }), {
      refreshMs: 50,
    });
    onTestFinished(() => watch.close());
    await watch.ready;
    expect(u.backends.map((b) => b.url)).toEqual([
      'http://127.0.0.1:9000',
      'http://127.0.0.2:9000',
    ]);
    dns.records['api.rws.test'] = { A: ['127.0.0.3'] };
    await waitFor(() => u.backends.length === 1);
    expect(u.backends[0]!.url).toBe('http://127.0.0.3:9000');
    // NXDOMAIN keeps the last good list.
    delete dns.records['api.rws.test'];
    await sleep(150);
    expect(u.backends.map((b) => b.url)).toEqual(['http://127.0.0.3:9000']);
  });
});

interface SrvRecord {
  priority: number;
  weight: number;
  port: number;
  target: string;
}
type Zone = Record<string, { A?: string[]; AAAA?: string[]; SRV?: SrvRecord[] }>;

/** A minimal authoritative DNS server over UDP on 127.0.0.1 (RFC 1035 §4, RFC 2782). */
async function startDns(records: Zone): Promise<{ port: number; records: Zone }> {
  const socket = dgram.createSocket('udp4');
  socket.on('message', (msg, rinfo) => {
    let pos = 12;
    const labels: string[] = [];
    while (msg[pos]! !== 0) {
      const len = msg[pos]!;
      labels.push(msg.subarray(pos + 1, pos + 1 + len).toString('latin1'));
      pos += len + 1;
    }
    pos++;
    const qtype = msg.readUInt16BE(pos);
    const question = msg.subarray(12, pos + 4);
    const name = labels.join('.').toLowerCase();
    const zone = records[name];
    const answers: Buffer[] = [];
    const rr = (type: number, rdata: Buffer): Buffer => {
      const head = Buffer.alloc(12);
      head.writeUInt16BE(0xc00c, 0);
      head.writeUInt16BE(type, 2);
      head.writeUInt16BE(1, 4);
      head.writeUInt32BE(1, 6);
      head.writeUInt16BE(rdata.length, 10);
      return Buffer.concat([head, rdata]);
    };
    if (zone !== undefined) {
      if (qtype === 1)
        for (const a of zone.A ?? []) answers.push(rr(1, Buffer.from(a.split('.').map(Number))));
      if (qtype === 28) for (const a of zone.AAAA ?? []) answers.push(rr(28, ipv6Bytes(a)));
      if (qtype === 33) {
        for (const s of zone.SRV ?? []) {
          const fixed = Buffer.alloc(6);
          fixed.writeUInt16BE(s.priority, 0);
          fixed.writeUInt16BE(s.weight, 2);
          fixed.writeUInt16BE(s.port, 4);
          answers.push(rr(33, Buffer.concat([fixed, encodeName(s.target)])));
        }
      }
    }
    const header = Buffer.alloc(12);
    msg.copy(header, 0, 0, 2);
    // QR + AA + RD + RA; RCODE 3 (NXDOMAIN) for unknown names.
    header.writeUInt16BE(0x8580 | (zone === undefined ? 3 : 0), 2);
    header.writeUInt16BE(1, 4);
    header.writeUInt16BE(answers.length, 6);
    socket.send(Buffer.concat([header, question, ...answers]), rinfo.port, rinfo.address);
  });
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  return { port: socket.address().port, records };
}

function encodeName(name: string): Buffer {
  const parts = name
    .split('.')
    .map((l) => Buffer.concat([Buffer.from([l.length]), Buffer.from(l, 'latin1')]));
  return Buffer.concat([...parts, Buffer.from([0])]);
}

function ipv6Bytes(address: string): Buffer {
  const [head, tail] = address.split('::') as [string, string | undefined];
  const h = head === '' ? [] : head.split(':');
  const t = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups = [...h, ...new Array(8 - h.length - t.length).fill('0'), ...t];
  const out = Buffer.alloc(16);
  for (let i = 0; i < 8; i++) out.writeUInt16BE(Number.parseInt(groups[i]!, 16), i * 2);
  return out;
}
