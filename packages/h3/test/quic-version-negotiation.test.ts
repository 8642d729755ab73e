import { createSocket } from 'node:dgram';
import { isRwsError } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { TRANSPORT_ERROR } from '../src/errors.js';
import { versionNegotiationPacket } from '../src/quic/packet-header.js';
import { QuicEndpoint } from '../src/quic/quic-endpoint.js';
import { QUIC_V1, QUIC_V2 } from '../src/quic/version.js';
import { chooseServerVersion } from '../src/quic/version-negotiation.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { echo, echoPair } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

/** The version field of a long-header datagram (0 for a Version Negotiation packet). */
const versionOf = (datagram: Buffer): number | undefined =>
  (datagram[0]! & 0x80) === 0 ? undefined : datagram.readUInt32BE(1);

describe('compatible version negotiation, v1 to v2 (RFC 9368, RFC 9369)', () => {
  it('a client starting in v1 continues in v2 when the server prefers it', async () => {
    const { client, port, accepted } = await echoPair(creds, { versions: [QUIC_V2, QUIC_V1] });
    const seen: Array<{ fromServer: boolean; version: number | undefined }> = [];
    const relay = await startLossyRelay(
      port,
      { drop: 0, duplicate: 0, reorder: 0 },
      1,
      (d, fromServer) => seen.push({ fromServer, version: versionOf(d) }),
    );
    onTestFinished(() => relay.close());
    const connection = await client.connect({
      host: '127.0.0.1',
      port: relay.port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect(connection.version).toBe(QUIC_V2);
    expect(accepted[0]!.version).toBe(QUIC_V2);
    expect([...(await echo(connection, Uint8Array.of(1, 2)))]).toEqual([1, 2]);
    // The client's first flight is v1; everything the server sends in long headers is v2.
    expect(seen[0]).toEqual({ fromServer: false, version: QUIC_V1 });
    const serverLong = seen.filter((s) => s.fromServer && s.version !== undefined);
    expect(serverLong.length).toBeGreaterThan(0);
    expect(serverLong.every((s) => s.version === QUIC_V2)).toBe(true);
    expect(seen.filter((s) => !s.fromServer && s.version === QUIC_V1)).toHaveLength(1);
  });

  it('without a preference the server keeps the client version (v1 and v2)', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const v1 = await client.connect({ host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca] });
    const v2 = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
      version: QUIC_V2,
    });
    expect([v1.version, v2.version]).toEqual([QUIC_V1, QUIC_V2]);
    expect(accepted.map((c) => c.version)).toEqual([QUIC_V1, QUIC_V2]);
    expect([...(await echo(v2, Uint8Array.of(3)))]).toEqual([3]);
  });

  it('a v2-only server answers a v1 client with Version Negotiation; the client starts over in v2', async () => {
    const { client, port, accepted } = await echoPair(creds, { versions: [QUIC_V2] });
    const seen: Array<{ fromServer: boolean; version: number | undefined }> = [];
    const relay = await startLossyRelay(
      port,
      { drop: 0, duplicate: 0, reorder: 0 },
      1,
      (d, fromServer) => seen.push({ fromServer, version: versionOf(d) }),
    );
    onTestFinished(() => relay.close());
    const connection = await client.connect({
      host: '127.0.0.1',
      port: relay.port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect(connection.version).toBe(QUIC_V2);
    expect(accepted).toHaveLength(1);
    expect(accepted[0]!.version).toBe(QUIC_V2);
    expect(seen.slice(0, 3)).toEqual([
      { fromServer: false, version: QUIC_V1 },
      { fromServer: true, version: 0 },
      { fromServer: false, version: QUIC_V2 },
    ]);
    expect([...(await echo(connection, Uint8Array.of(4)))]).toEqual([4]);
  });

  it('a forged Version Negotiation packet is caught as a downgrade (VERSION_NEGOTIATION_ERROR)', async () => {
    // The server speaks both; an attacker answers the client's v2 Initial with "v1 only".
    const { client, port } = await echoPair(creds);
    const attacker = createSocket('udp4');
    let clientAddress: { port: number; address: string } | undefined;
    let hasForged = false;
    attacker.on('message', (msg, rinfo) => {
      if (rinfo.port === port) {
        if (clientAddress) attacker.send(msg, clientAddress.port, clientAddress.address);
        return;
      }
      clientAddress = { port: rinfo.port, address: rinfo.address };
      if (!hasForged && versionOf(msg) === QUIC_V2) {
        hasForged = true;
        const dcid = msg.subarray(6, 6 + msg[5]!);
        const scidAt = 6 + msg[5]!;
        const scid = msg.subarray(scidAt + 1, scidAt + 1 + msg[scidAt]!);
        attacker.send(versionNegotiationPacket(dcid, scid, [QUIC_V1]), rinfo.port, rinfo.address);
        return;
      }
      attacker.send(msg, port, '127.0.0.1');
    });
    await new Promise<void>((resolve) => attacker.bind(0, '127.0.0.1', resolve));
    onTestFinished(() => new Promise<void>((resolve) => attacker.close(() => resolve())));
    const err = await client
      .connect({
        host: '127.0.0.1',
        port: attacker.address().port,
        alpn: ['echo'],
        ca: [creds.ca],
        version: QUIC_V2,
      })
      .catch((e: unknown) => e);
    expect(hasForged).toBe(true);
    expect(isRwsError(err)).toBe(true);
    expect((err as { transportCode: number }).transportCode).toBe(
      TRANSPORT_ERROR.VERSION_NEGOTIATION_ERROR,
    );
  });

  it('the server refuses version_information whose Chosen Version is not the packet version', () => {
    expect(() =>
      chooseServerVersion(QUIC_V1, { chosen: QUIC_V2, available: [QUIC_V2] }, [QUIC_V2]),
    ).toThrow(
      expect.objectContaining({ transportCode: TRANSPORT_ERROR.VERSION_NEGOTIATION_ERROR }),
    );
    expect(chooseServerVersion(QUIC_V1, undefined, [QUIC_V2, QUIC_V1])).toBe(QUIC_V1);
    expect(
      chooseServerVersion(QUIC_V1, { chosen: QUIC_V1, available: [QUIC_V1] }, [QUIC_V2, QUIC_V1]),
    ).toBe(QUIC_V1);
  });

  it('rejects unknown versions in the versions option', async () => {
    await expect(QuicEndpoint.bind({ versions: [0xff000020] })).rejects.toThrow(
      /versions must list QUIC versions 1 \(0x1\) and\/or 2/,
    );
  });
});
