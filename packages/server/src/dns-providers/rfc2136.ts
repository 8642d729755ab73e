/**
 * A `DnsProvider` that publishes DNS-01 TXT records with DNS UPDATE (RFC 2136) signed with
 * TSIG (RFC 8945): what BIND, Knot, PowerDNS and most self-hosted authoritative servers take.
 * One UPDATE per change, over TCP (RFC 2136 §1.3.4 permits it; no truncation to handle).
 */
import { createHmac, randomInt, timingSafeEqual } from 'node:crypto';
import { connect } from 'node:net';
import { RwsError } from '@rws/core';
import { AcmeError } from '../acme-error.js';
import type { DnsProvider } from '../acme-manager.js';
import { ERROR_CODES } from '../errors.js';

/** TSIG algorithms (RFC 8945 §6) and their node:crypto hashes. */
const ALGORITHMS = {
  'hmac-sha256': 'sha256',
  'hmac-sha384': 'sha384',
  'hmac-sha512': 'sha512',
  'hmac-sha1': 'sha1',
} as const;

/** A TSIG algorithm name. */
export type TsigAlgorithm = keyof typeof ALGORITHMS;

/** Options of `createRfc2136Provider`. */
export interface Rfc2136ProviderOptions {
  /** The primary server taking updates: `host` or `host:port` (`[v6]:port`). Port 53 by default. */
  server: string;
  /** The zone the records go in (`example.com`): the UPDATE's zone section. */
  zone: string;
  /** TSIG key name, as in the server's `key "…"` statement. */
  keyName: string;
  /** TSIG secret, base64 (as `tsig-keygen` prints it). */
  keySecret: string;
  /** Default `hmac-sha256`. */
  keyAlgorithm?: TsigAlgorithm | undefined;
  /** TTL of the TXT records. Default 60 s. */
  ttlSeconds?: number | undefined;
  /** Deadline of one update. Default 10 000 ms. */
  timeoutMs?: number | undefined;
}

const TYPE_TXT = 16;
const TYPE_SOA = 6;
const TYPE_TSIG = 250;
const CLASS_IN = 1;
const CLASS_NONE = 254;
const CLASS_ANY = 255;
const OPCODE_UPDATE = 5;
const FUDGE_SECONDS = 300;
const RCODES = [
  'NOERROR',
  'FORMERR',
  'SERVFAIL',
  'NXDOMAIN',
  'NOTIMP',
  'REFUSED',
  'YXDOMAIN',
  'YXRRSET',
  'NXRRSET',
  'NOTAUTH',
  'NOTZONE',
];
const TSIG_ERRORS: Readonly<Record<number, string>> = { 16: 'BADSIG', 17: 'BADKEY', 18: 'BADTIME' };

/** A domain name in wire form, lower case (TSIG's canonical form, RFC 8945 §4.3.3). */
function wireName(name: string): Buffer {
  const labels = name
    .replace(/\.$/, '')
    .toLowerCase()
    .split('.')
    .filter((l) => l !== '');
  const parts: Buffer[] = [];
  for (const label of labels) {
    const bytes = Buffer.from(label, 'ascii');
    if (bytes.length > 63)
      throw new Error(`label ${JSON.stringify(label)} is longer than 63 bytes`);
    parts.push(Buffer.from([bytes.length]), bytes);
  }
  parts.push(Buffer.from([0]));
  return Buffer.concat(parts);
}

const u16 = (n: number): Buffer => {
  const b = Buffer.alloc(2);
  b.writeUInt16BE(n);
  return b;
};
const u32 = (n: number): Buffer => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};
const u48 = (n: number): Buffer => {
  const b = Buffer.alloc(6);
  b.writeUIntBE(n, 0, 6);
  return b;
};

/** TXT RDATA: character-strings of at most 255 bytes (RFC 1035 §3.3.14). */
function txtRdata(value: string): Buffer {
  const bytes = Buffer.from(value, 'utf8');
  const parts: Buffer[] = [];
  for (let i = 0; i < bytes.length || i === 0; i += 255) {
    const chunk = bytes.subarray(i, i + 255);
    parts.push(Buffer.from([chunk.length]), chunk);
  }
  return Buffer.concat(parts);
}

/** The end of the name at `offset` (a compression pointer ends it, RFC 1035 §4.1.4). */
function skipName(msg: Buffer, offset: number): number {
  let i = offset;
  for (;;) {
    const len = msg[i];
    if (len === undefined) throw new Error('truncated name');
    if ((len & 0xc0) === 0xc0) return i + 2;
    if (len === 0) return i + 1;
    i += len + 1;
  }
}

/** The TSIG variables (RFC 8945 §4.3.3) after the key name and class. */
function tsigVariables(
  keyName: Buffer,
  algorithm: Buffer,
  timeSigned: number,
  error: number,
  other: Buffer,
): Buffer {
  return Buffer.concat([
    keyName,
    u16(CLASS_ANY),
    u32(0),
    algorithm,
    u48(timeSigned),
    u16(FUDGE_SECONDS),
    u16(error),
    u16(other.length),
    other,
  ]);
}

/**
 * A DNS UPDATE `DnsProvider` with TSIG.
 *
 * @example
 * ```ts
 * import { AcmeManager, createRfc2136Provider } from '@rws/server';
 * const acme = new AcmeManager({
 *   domains: ['example.com', '*.example.com'],
 *   store: '/var/lib/rws/acme',
 *   dnsProvider: createRfc2136Provider({
 *     server: 'ns1.example.com',
 *     zone: 'example.com',
 *     keyName: 'acme-update',
 *     keySecret: process.env['TSIG_SECRET'] ?? '',
 *   }),
 * });
 * ```
 */
export function createRfc2136Provider(options: Rfc2136ProviderOptions): DnsProvider {
  const algorithmName = options.keyAlgorithm ?? 'hmac-sha256';
  const hash = ALGORITHMS[algorithmName];
  if (hash === undefined) {
    throw new RwsError(
      ERROR_CODES.INVALID_OPTIONS,
      `rfc2136: keyAlgorithm ${JSON.stringify(algorithmName)} is not one of ${Object.keys(ALGORITHMS).join(', ')}`,
    );
  }
  const secret = Buffer.from(options.keySecret, 'base64');
  if (secret.length === 0) {
    throw new RwsError(ERROR_CODES.INVALID_OPTIONS, 'rfc2136: keySecret is empty or not base64');
  }
  const { host, port } = splitServer(options.server);
  const zone = options.zone.replace(/\.$/, '').toLowerCase();
  const keyName = wireName(options.keyName);
  const algorithm = wireName(algorithmName);
  const ttl = options.ttlSeconds ?? 60;
  const timeoutMs = options.timeoutMs ?? 10_000;
  const name = `rfc2136:${host}:${port}`;

  const fail = (action: string, fqdn: string, why: string, cause?: unknown): AcmeError =>
    new AcmeError(
      ERROR_CODES.ACME_CHALLENGE_FAILED,
      `${name}: cannot ${action} the TXT record ${fqdn} in zone ${zone}: ${why}`,
      { challenge: 'dns-01', ...(cause === undefined ? {} : { cause }) },
    );

  /** Sends one signed UPDATE with `record` in its update section; checks the answer. */
  async function update(action: string, fqdn: string, record: Buffer): Promise<void> {
    const owner = fqdn.replace(/\.$/, '').toLowerCase();
    if (owner !== zone && !owner.endsWith(`.${zone}`)) {
      throw fail(action, fqdn, `the name is not in the zone`);
    }
    const id = randomInt(0, 0x10000);
    const message = Buffer.concat([
      u16(id),
      u16(OPCODE_UPDATE << 11),
      u16(1), // zone
      u16(0), // prerequisites
      u16(1), // updates
      u16(0), // additional (the TSIG is added after signing)
      wireName(zone),
      u16(TYPE_SOA),
      u16(CLASS_IN),
      record,
    ]);
    const timeSigned = Math.floor(Date.now() / 1000);
    const mac = createHmac(hash, secret)
      .update(message)
      .update(tsigVariables(keyName, algorithm, timeSigned, 0, Buffer.alloc(0)))
      .digest();
    const tsigRdata = Buffer.concat([
      algorithm,
      u48(timeSigned),
      u16(FUDGE_SECONDS),
      u16(mac.length),
      mac,
      u16(id),
      u16(0),
      u16(0),
    ]);
    const signed = Buffer.concat([
      message,
      keyName,
      u16(TYPE_TSIG),
      u16(CLASS_ANY),
      u32(0),
      u16(tsigRdata.length),
      tsigRdata,
    ]);
    signed.writeUInt16BE(1, 10); // ARCOUNT: the TSIG
    let response: Buffer;
    try {
      response = await exchange(host, port, signed, timeoutMs);
    } catch (err) {
      throw fail(action, fqdn, (err as Error).message, err);
    }
    checkResponse(response, id, mac, (why) => fail(action, fqdn, why));
  }

  /** Checks the answer's ID, RCODE and TSIG (RFC 8945 §5.3: the MAC covers the request's). */
  function checkResponse(
    res: Buffer,
    id: number,
    requestMac: Buffer,
    error: (why: string) => AcmeError,
  ): void {
    if (res.length < 12 || res.readUInt16BE(0) !== id)
      throw error('the answer does not match the request');
    const rcode = res.readUInt16BE(2) & 0x0f;
    const arcount = res.readUInt16BE(10);
    // The answer echoes the zone section; updates and prerequisites come back empty.
    let offset = 12;
    const counts = [res.readUInt16BE(4), res.readUInt16BE(6), res.readUInt16BE(8)];
    for (let i = 0; i < counts[0]!; i++) offset = skipName(res, offset) + 4;
    for (let i = 0; i < counts[1]! + counts[2]!; i++) {
      offset = skipName(res, offset) + 8;
      offset += 2 + res.readUInt16BE(offset);
    }
    let tsigError = 0;
    let isSigned = false;
    if (arcount > 0) {
      const start = offset;
      const afterName = skipName(res, offset);
      if (res.readUInt16BE(afterName) === TYPE_TSIG) {
        const rdata = afterName + 10;
        let p = skipName(res, rdata);
        const timeSigned = res.readUIntBE(p, 6);
        p += 8;
        const macLength = res.readUInt16BE(p);
        const mac = res.subarray(p + 2, p + 2 + macLength);
        p += 2 + macLength + 2;
        tsigError = res.readUInt16BE(p);
        const otherLength = res.readUInt16BE(p + 2);
        const other = res.subarray(p + 4, p + 4 + otherLength);
        if (tsigError === 0) {
          const unsigned = Buffer.from(res.subarray(0, start));
          unsigned.writeUInt16BE(arcount - 1, 10);
          const expected = createHmac(hash, secret)
            .update(u16(requestMac.length))
            .update(requestMac)
            .update(unsigned)
            .update(tsigVariables(keyName, algorithm, timeSigned, 0, other))
            .digest();
          if (mac.length !== expected.length || !timingSafeEqual(mac, expected)) {
            throw error("the answer's TSIG signature does not verify (a different key?)");
          }
          isSigned = true;
        }
      }
    }
    if (rcode !== 0 || tsigError !== 0) {
      const tsig =
        tsigError === 0
          ? ''
          : ` (TSIG ${TSIG_ERRORS[tsigError] ?? tsigError}: check key_name, the secret and the clock)`;
      throw error(`the server answered ${RCODES[rcode] ?? rcode}${tsig}`);
    }
    if (!isSigned) throw error('the answer is not signed with the key (TSIG)');
  }

  return {
    name,
    async setTxtRecord(fqdn, value) {
      const rdata = txtRdata(value);
      await update(
        'add',
        fqdn,
        Buffer.concat([
          wireName(fqdn),
          u16(TYPE_TXT),
          u16(CLASS_IN),
          u32(ttl),
          u16(rdata.length),
          rdata,
        ]),
      );
    },
    async removeTxtRecord(fqdn, value) {
      // Class NONE with the RDATA deletes this one record, leaving others (RFC 2136 §2.5.4).
      const rdata = txtRdata(value);
      await update(
        'remove',
        fqdn,
        Buffer.concat([
          wireName(fqdn),
          u16(TYPE_TXT),
          u16(CLASS_NONE),
          u32(0),
          u16(rdata.length),
          rdata,
        ]),
      );
    },
  };
}

function splitServer(server: string): { host: string; port: number } {
  const v6 = /^\[([^\]]+)\](?::(\d+))?$/.exec(server);
  if (v6 !== null) return { host: v6[1]!, port: Number(v6[2] ?? 53) };
  const colon = server.lastIndexOf(':');
  if (colon > 0 && server.indexOf(':') === colon) {
    return { host: server.slice(0, colon), port: Number(server.slice(colon + 1)) };
  }
  return { host: server, port: 53 };
}

/** One request and its answer over TCP, each with its two-byte length (RFC 1035 §4.2.2). */
function exchange(host: string, port: number, message: Buffer, timeoutMs: number): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host, port });
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer from ${host}:${port} within ${timeoutMs} ms`));
    }, timeoutMs);
    const done = (err: Error | null, value?: Buffer): void => {
      clearTimeout(timer);
      socket.destroy();
      if (err !== null) reject(err);
      else resolve(value as Buffer);
    };
    socket.once('connect', () => socket.end(Buffer.concat([u16(message.length), message])));
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      if (received.length >= 2 && received.length >= 2 + received.readUInt16BE(0)) {
        done(null, received.subarray(2, 2 + received.readUInt16BE(0)));
      }
    });
    socket.once('error', (err) => done(err));
    socket.once('end', () =>
      done(new Error(`${host}:${port} closed the connection without an answer`)),
    );
  });
}
