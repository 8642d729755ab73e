import { randomBytes } from 'node:crypto';
import { isRwsError } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { LossRecovery } from '../src/quic/loss-recovery.js';
import { MtuDiscovery } from '../src/quic/mtu-discovery.js';
import { PacketSpace } from '../src/quic/packet-space.js';
import { QuicEndpoint, type QuicEndpointOptions } from '../src/quic/quic-endpoint.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { startLossyRelay } from './lossy-relay.js';
import { connectEcho, echo, echoPair, sha256 } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('MtuDiscovery search (RFC 8899 §5, issue #20)', () => {
  it('tries the upper bound first and is done when it passes', () => {
    const mtu = new MtuDiscovery(1452);
    expect(mtu.nextProbe).toBe(1452);
    mtu.onProbeSent(1452);
    expect(mtu.nextProbe).toBeUndefined(); // one probe in flight at a time
    mtu.onProbeAcked(1452);
    expect(mtu.current).toBe(1452);
    expect(mtu.isDone).toBe(true);
  });

  it('gives a size up after three lost probes, then searches by halves to within 20 bytes', () => {
    // The path carries 1300 bytes at most.
    const mtu = new MtuDiscovery(1452);
    const sizes: number[] = [];
    for (let size = mtu.nextProbe; size !== undefined; size = mtu.nextProbe) {
      sizes.push(size);
      mtu.onProbeSent(size);
      if (size <= 1300) mtu.onProbeAcked(size);
      else mtu.onProbeLost(size);
    }
    expect(sizes.slice(0, 3)).toEqual([1452, 1452, 1452]);
    expect(mtu.current).toBeLessThanOrEqual(1300);
    expect(mtu.current).toBeGreaterThan(1300 - 20);
    expect(mtu.isDone).toBe(true);
  });

  it('never probes beyond the peer limit, and starts over from 1200 on reset', () => {
    const mtu = new MtuDiscovery(9000);
    mtu.setPeerMax(1350);
    expect(mtu.nextProbe).toBe(1350);
    mtu.onProbeSent(1350);
    mtu.onProbeAcked(1350);
    mtu.reset(1350);
    expect(mtu.current).toBe(1200);
    expect(mtu.nextProbe).toBe(1350);
  });
});

async function transfer(
  serverOptions: Partial<QuicEndpointOptions>,
  clientOptions: Partial<QuicEndpointOptions>,
  maxDatagramBytes?: number,
) {
  const { port } = await echoPair(creds, serverOptions);
  const relay = await startLossyRelay(
    port,
    {
      drop: 0,
      duplicate: 0,
      reorder: 0,
      ...(maxDatagramBytes ? { maxDatagramBytes } : {}),
    },
    1,
  );
  onTestFinished(() => relay.close());
  const connection = await connectEcho(creds, relay.port, clientOptions);
  const payload = randomBytes(512 * 1024);
  expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
  return { stats: connection.stats, dropped: relay.dropped() };
}

describe('DPLPMTUD over real UDP (RFC 9000 §14.3, issue #20)', () => {
  it('raises the datagram size to 1452 on loopback by default', async () => {
    const { stats } = await transfer({}, {});
    expect(stats.maxDatagramSize).toBe(1452);
  }, 60_000);

  it('finds a 1300-byte path limit and keeps the data intact', async () => {
    const { stats, dropped } = await transfer({}, {}, 1300);
    expect(dropped).toBeGreaterThan(0);
    expect(stats.maxDatagramSize).toBeLessThanOrEqual(1300);
    expect(stats.maxDatagramSize).toBeGreaterThan(1300 - 20);
  }, 60_000);

  it('does not take a lost probe for congestion (RFC 9000 §14.4)', () => {
    const recovery = new LossRecovery(1200);
    const space = new PacketSpace('application');
    const send = (pn: number, isMtuProbe: boolean): void => {
      space.nextPn = pn + 1;
      recovery.onSent(space, {
        pn,
        timeSent: pn,
        size: isMtuProbe ? 1452 : 1200,
        isAckEliciting: true,
        frames: [],
        ...(isMtuProbe ? { isMtuProbe } : {}),
      });
    };
    send(0, true);
    for (let pn = 1; pn <= 4; pn++) send(pn, false);
    const cwnd = recovery.cc.cwnd;
    const { lost } = recovery.onAck(
      space,
      { type: 'ack', delay: 0, ranges: [{ smallest: 1, largest: 4 }] },
      3,
      25,
      10,
    );
    expect(lost.map((p) => p.pn)).toEqual([0]);
    expect(recovery.packetsLost).toBe(0);
    expect(recovery.cc.congestionEvents).toBe(0);
    expect(recovery.cc.cwnd).toBeGreaterThanOrEqual(cwnd);
    expect(recovery.cc.bytesInFlight).toBe(0);
  });

  it("stays within the peer's max_udp_payload_size", async () => {
    const { stats } = await transfer({ maxDatagramSize: 1200 }, { maxDatagramSize: 9000 });
    expect(stats.maxDatagramSize).toBe(1200);
  }, 60_000);

  it('rejects a maxDatagramSize outside 1200..65527', async () => {
    const err = await QuicEndpoint.bind({ maxDatagramSize: 1000 }).catch((e: unknown) => e);
    expect(isRwsError(err, 'RWS_H3_INVALID_OPTIONS')).toBe(true);
    expect((err as Error).message).toContain('got 1000');
  });
});
