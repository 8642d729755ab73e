import { isRwsError } from '@rws/core';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ConnectionIds } from '../src/quic/connection-ids.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { echo, echoPair } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

/** A CID host that hands out numbered IDs and records the retired ones. */
function recordingHost() {
  let next = 100;
  const retired: number[] = [];
  /** The first byte of each peer reset token the endpoint would currently recognise. */
  const tokens = new Set<number>();
  return {
    retired,
    tokens,
    host: {
      newCid: () => ({ cid: Uint8Array.of(next++), resetToken: new Uint8Array(16).fill(next) }),
      retireCid: (cid: Uint8Array) => retired.push(cid[0]!),
      peerResetToken: (token: Uint8Array, isActive: boolean) => {
        if (isActive) tokens.add(token[0]!);
        else tokens.delete(token[0]!);
      },
    },
  };
}

const newCid = (sequence: number, retirePriorTo = 0) =>
  ({
    type: 'new_connection_id',
    sequence,
    retirePriorTo,
    connectionId: Uint8Array.of(sequence),
    resetToken: new Uint8Array(16).fill(sequence),
  }) as const;

describe('connection IDs (RFC 9000 §5.1, §19.15, §19.16)', () => {
  it('issues up to the peer limit and replaces a retired ID', () => {
    const { host, retired } = recordingHost();
    const ids = new ConnectionIds(host, Uint8Array.of(1), Uint8Array.of(2), 4);
    expect(ids.issue(3).map((f) => f.type === 'new_connection_id' && f.sequence)).toEqual([1, 2]);
    const replacement = ids.onRetire(1, Uint8Array.of(1), 3);
    expect(retired).toEqual([100]);
    expect(replacement.map((f) => f.type === 'new_connection_id' && f.sequence)).toEqual([3]);
    expect(ids.localCount).toBe(3);
  });

  it('rejects retiring a sequence never issued, or the ID of the packet itself', () => {
    const { host } = recordingHost();
    const ids = new ConnectionIds(host, Uint8Array.of(1), Uint8Array.of(2), 4);
    ids.issue(2);
    expect(() => ids.onRetire(5, undefined, 2)).toThrow(/never issued/);
    expect(() => ids.onRetire(1, Uint8Array.of(100), 2)).toThrow(/its own packet/);
  });

  it('follows Retire Prior To, enforces our limit, and knows the peer reset tokens', () => {
    const { host, tokens } = recordingHost();
    const ids = new ConnectionIds(host, Uint8Array.of(1), Uint8Array.of(2), 3);
    expect(ids.onNewConnectionId(newCid(1))).toEqual([]);
    expect(ids.onNewConnectionId(newCid(1))).toEqual([]);
    expect(() => ids.onNewConnectionId({ ...newCid(1), connectionId: Uint8Array.of(9) })).toThrow(
      /two connection IDs/,
    );
    const retire = ids.onNewConnectionId(newCid(2, 2));
    expect(retire).toEqual([
      { type: 'retire_connection_id', sequence: 0 },
      { type: 'retire_connection_id', sequence: 1 },
    ]);
    expect([...ids.activePeerCid]).toEqual([2]);
    // The endpoint forgets the tokens of retired IDs.
    expect([...tokens]).toEqual([2]);
    expect(ids.onNewConnectionId(newCid(1))).toEqual([
      { type: 'retire_connection_id', sequence: 1 },
    ]);
    expect(ids.isStatelessReset(new Uint8Array(16).fill(2))).toBe(true);
    expect(ids.isStatelessReset(new Uint8Array(16).fill(1))).toBe(false);
    ids.onNewConnectionId(newCid(3));
    ids.onNewConnectionId(newCid(4));
    let err: unknown;
    try {
      ids.onNewConnectionId(newCid(5));
    } catch (e) {
      err = e;
    }
    expect(isRwsError(err, 'RWS_H3_TRANSPORT_ERROR')).toBe(true);
    expect((err as { transportCode: number }).transportCode).toBe(0x09);
  });
});

describe('connection IDs and stateless reset over UDP loopback', () => {
  it('both sides issue spare connection IDs after the handshake', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect([...(await echo(connection, Uint8Array.of(1)))]).toEqual([1]);
    // Both advertise active_connection_id_limit 4: three more IDs each, four routable.
    await vi.waitFor(() => {
      expect(connection.localCidCount).toBe(4);
      expect(accepted[0]!.localCidCount).toBe(4);
    });
  });

  it('a client whose server lost the connection state learns it from a stateless reset', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    expect([...(await echo(connection, Uint8Array.of(1)))]).toEqual([1]);
    // The server forgets the connection without a word, as after a crash and restart.
    accepted[0]!.abandon();
    const stream = connection.openStream();
    void stream.write(Uint8Array.of(2)).catch(() => {});
    const err = await connection.closed;
    expect(isRwsError(err, 'RWS_H3_PEER_CLOSED')).toBe(true);
    expect(err?.message).toMatch(/stateless reset/);
  });
});
