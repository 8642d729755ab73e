import { isRwsError } from '@rws/core';
import { beforeAll, describe, expect, it } from 'vitest';
import { GROUP } from '../src/quic/tls/key-exchange.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { echo, echoPair } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('HelloRetryRequest over UDP loopback (RFC 8446 §4.1.4)', () => {
  it.each([
    ['X25519', GROUP.X25519, GROUP.SECP256R1],
    ['P-256', GROUP.SECP256R1, GROUP.X25519],
  ] as const)(
    'a server accepting only %s asks for its share, and the handshake completes',
    async (_name, serverGroup, clientShare) => {
      // The client supports both groups but sends only the share the server does not take.
      const { client, port } = await echoPair(creds, { groups: [serverGroup] });
      const connection = await client.connect({
        host: '127.0.0.1',
        port,
        alpn: ['echo'],
        ca: [creds.ca],
        keyShares: [clientShare],
      });
      expect([...(await echo(connection, Uint8Array.of(5, 6)))]).toEqual([5, 6]);
    },
  );

  it('fails with handshake_failure when no group is in common', async () => {
    const { client, port } = await echoPair(creds, { groups: [GROUP.SECP256R1] });
    const err = await client
      .connect({ host: '127.0.0.1', port, alpn: ['echo'], ca: [creds.ca], groups: [GROUP.X25519] })
      .catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H3_PEER_CLOSED')).toBe(true);
    // CRYPTO_ERROR 0x100 + handshake_failure (40).
    expect((err as { transportCode: number }).transportCode).toBe(0x128);
  });
});
