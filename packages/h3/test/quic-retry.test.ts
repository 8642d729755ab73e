import { randomBytes } from 'node:crypto';
import { createSocket } from 'node:dgram';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { AddressTokens } from '../src/quic/address-token.js';
import { verifyRetryIntegrity } from '../src/quic/crypto/retry-integrity.js';
import { parsePacketHeader } from '../src/quic/packet-header.js';
import { encodeVarint } from '../src/quic/varint.js';
import { QUIC_V1, versionProfile } from '../src/quic/version.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { echo, echoPair, sha256 } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('address validation tokens (RFC 9000 §8.1)', () => {
  const tokens = new AddressTokens(60_000);
  const odcid = randomBytes(8);
  const rscid = randomBytes(8);

  it('a Retry token gives back its connection IDs, from the same address and port only, for 10 s', () => {
    const token = tokens.issueRetry('127.0.0.1', 4000, odcid, rscid, 1_000);
    const claim = tokens.validate(token, '127.0.0.1', 4000, 2_000);
    expect(claim?.kind).toBe('retry');
    if (claim?.kind !== 'retry') return;
    expect(sha256(claim.originalDcid)).toBe(sha256(odcid));
    expect(sha256(claim.retrySourceCid)).toBe(sha256(rscid));
    expect(tokens.validate(token, '127.0.0.1', 4001, 2_000)).toBeUndefined();
    expect(tokens.validate(token, '127.0.0.2', 4000, 2_000)).toBeUndefined();
    expect(tokens.validate(token, '127.0.0.1', 4000, 11_001)).toBeUndefined();
  });

  it('a NEW_TOKEN token holds for another port of the same host until its lifetime ends', () => {
    const token = tokens.issueNewToken('127.0.0.1', 1_000);
    expect(tokens.validate(token, '127.0.0.1', 5000, 50_000)).toEqual({ kind: 'new-token' });
    expect(tokens.validate(token, '127.0.0.3', 5000, 50_000)).toBeUndefined();
    expect(tokens.validate(token, '127.0.0.1', 5000, 61_001)).toBeUndefined();
  });

  it('rejects altered tokens and tokens of another endpoint', () => {
    const token = tokens.issueRetry('127.0.0.1', 4000, odcid, rscid, 1_000);
    for (let i = 0; i < token.length; i++) {
      const altered = token.slice();
      altered[i] = altered[i]! ^ 0x01;
      expect(tokens.validate(altered, '127.0.0.1', 4000, 1_000)).toBeUndefined();
    }
    expect(new AddressTokens(60_000).validate(token, '127.0.0.1', 4000, 1_000)).toBeUndefined();
    expect(tokens.validate(token.subarray(0, 20), '127.0.0.1', 4000, 1_000)).toBeUndefined();
  });
});

/** A client Initial header with `token` and a garbage "protected" payload, 1200 bytes. */
function fakeInitial(dcid: Uint8Array, scid: Uint8Array, token: Uint8Array): Buffer {
  const head = Buffer.concat([
    Buffer.of(0xc0, 0, 0, 0, 1, dcid.length),
    dcid,
    Buffer.of(scid.length),
    scid,
    encodeVarint(token.length),
    token,
  ]);
  const rest = 1200 - head.length - 2;
  return Buffer.concat([head, Buffer.of(0x40 | (rest >> 8), rest & 0xff), randomBytes(rest)]);
}

describe('Retry over UDP loopback (RFC 9000 §8.1.2, §17.2.5)', () => {
  it('a server that requires address validation makes the client retry, then serves it', async () => {
    const { client, port, server } = await echoPair(creds, { requireAddressValidation: true });
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect(connection.isRetried).toBe(true);
    const payload = randomBytes(100_000);
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    expect(server.connectionCount).toBe(1);
  });

  it('the NEW_TOKEN token of one connection lets the next one skip the Retry', async () => {
    const { client, port, accepted } = await echoPair(creds, { requireAddressValidation: true });
    const options = { host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] };
    const first = await client.connect(options);
    expect(first.isRetried).toBe(true);
    // The token travels with HANDSHAKE_DONE; an echo's round trip makes sure it arrived.
    expect([...(await echo(first, Uint8Array.of(1)))]).toEqual([1]);
    const second = await client.connect(options);
    expect(second.isRetried).toBe(false);
    expect([...(await echo(second, Uint8Array.of(2)))]).toEqual([2]);
    expect(accepted).toHaveLength(2);
  });

  it('answers Initials statelessly with a small, authentic Retry; a token from another port is not accepted', async () => {
    const { port, server } = await echoPair(creds, { requireAddressValidation: true });
    const sockets = [createSocket('udp4'), createSocket('udp4')];
    onTestFinished(() => {
      for (const s of sockets) s.close();
    });
    for (const s of sockets) await new Promise<void>((resolve) => s.bind(0, '127.0.0.1', resolve));
    const ask = async (index: number, dcid: Uint8Array, token: Uint8Array) => {
      const socket = sockets[index]!;
      const reply = new Promise<Buffer>((resolve) => socket.once('message', resolve));
      socket.send(fakeInitial(dcid, Uint8Array.of(1, 2, 3, 4), token), port, '127.0.0.1');
      return new Uint8Array(await reply);
    };
    const dcid = randomBytes(8);
    const retry = await ask(0, dcid, new Uint8Array(0));
    const header = parsePacketHeader(retry, 0, 8);
    expect(header?.form).toBe('retry');
    if (header?.form !== 'retry') return;
    expect([...header.dcid]).toEqual([1, 2, 3, 4]);
    expect(verifyRetryIntegrity(versionProfile(QUIC_V1)!, dcid, retry)).toBe(true);
    // Far below the 3x anti-amplification limit, and nothing kept.
    expect(retry.length).toBeLessThan(200);
    expect(server.connectionCount).toBe(0);
    // The same token from another port is worth nothing: another Retry comes back.
    const again = await ask(1, header.scid, header.token);
    expect(parsePacketHeader(again, 0, 8)?.form).toBe('retry');
    expect(server.connectionCount).toBe(0);
  });
});
