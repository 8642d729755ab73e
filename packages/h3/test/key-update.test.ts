import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { ByteWriter } from '../src/quic/byte-writer.js';
import { TLS_AES_128_GCM_SHA256 } from '../src/quic/crypto/cipher-suite.js';
import { PacketKeys } from '../src/quic/crypto/packet-keys.js';
import { KeyUpdate } from '../src/quic/key-update.js';
import { parsePacketHeader } from '../src/quic/packet-header.js';
import { unprotectPacket } from '../src/quic/packet-protection.js';
import { PacketSpace } from '../src/quic/packet-space.js';
import { writeProtectedPacket } from '../src/quic/packet-writer.js';
import { QUIC_V1, versionProfile } from '../src/quic/version.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { echo, echoPair, sha256 } from './quic-pair.js';

const PTO = 100;
const V1 = versionProfile(QUIC_V1)!;

/** One direction of 1-RTT traffic: a sender's and a receiver's application space and key state. */
function direction() {
  const secret = randomBytes(32);
  const sender = new PacketSpace('application');
  const receiver = new PacketSpace('application');
  sender.writeKeys = new PacketKeys(TLS_AES_128_GCM_SHA256, secret, V1);
  receiver.readKeys = new PacketKeys(TLS_AES_128_GCM_SHA256, secret, V1);
  const send = new KeyUpdate(sender, V1);
  const receive = new KeyUpdate(receiver, V1);
  const seal = (pn: number) => {
    const w = new ByteWriter();
    writeProtectedPacket(
      {
        space: 'application',
        keys: sender.writeKeys!,
        profile: V1,
        dcid: Uint8Array.of(1, 2, 3, 4),
        scid: new Uint8Array(0),
        pn,
        pnLength: 2,
        keyPhase: send.keyPhase,
        frames: [{ type: 'ping' }, { type: 'padding', length: 20 }],
      },
      w,
    );
    return w.finish();
  };
  /** Opens a packet the way the connection does; returns whether it authenticated. */
  const open = (packet: Uint8Array, now: number): boolean => {
    const header = parsePacketHeader(packet, 0, 4);
    if (header?.form !== 'short') throw new Error('not a short header');
    const opened = unprotectPacket(
      receiver.readKeys!,
      packet,
      0,
      header.pnOffset,
      header.end,
      receiver.acks.largest,
      (bit, pn) => receive.keysFor(bit, pn, now),
    );
    if (opened === null) return false;
    receive.onOpened(((opened.firstByte >> 2) & 1) as 0 | 1, opened.pn, now, PTO);
    return true;
  };
  return { send, receive, seal, open };
}

describe('1-RTT key update (RFC 9001 §6) with real packet keys', () => {
  it('opens the next phase, keeps the old keys for reordered packets for three PTOs, then drops them', () => {
    const d = direction();
    const old = d.seal(5);
    d.send.onSealed(0);
    d.send.onAcked(0);
    expect(d.send.canInitiate(true)).toBe(true);
    expect(d.send.canInitiate(false)).toBe(false);
    d.send.initiate();
    expect(d.send.keyPhase).toBe(1);
    expect(d.open(d.seal(10), 1000)).toBe(true);
    expect(d.receive.updates).toBe(1);
    // The receiver answered with its own update: its write phase follows the peer's.
    expect(d.receive.keyPhase).toBe(1);
    // A packet of the old phase, sent before the update, still opens within three PTOs ...
    expect(d.open(old, 1000 + 3 * PTO - 1)).toBe(true);
    expect(d.receive.hasPreviousReadKeys(1000 + 3 * PTO - 1)).toBe(true);
    // ... and not after: those keys are gone.
    expect(d.open(old, 1000 + 3 * PTO)).toBe(false);
    expect(d.receive.hasPreviousReadKeys(1000 + 3 * PTO)).toBe(false);
    expect(d.receive.updates).toBe(1);
  });

  it('refuses a second update until a packet with the current keys is acknowledged', () => {
    const d = direction();
    expect(d.send.canInitiate(true)).toBe(false);
    d.send.onSealed(0);
    d.send.onAcked(0);
    d.send.initiate();
    d.send.onSealed(1);
    d.send.onAcked(1);
    // The peer has not answered with the new phase yet.
    expect(d.send.canInitiate(true)).toBe(false);
  });

  it('drops a packet claiming the next phase that was sealed with the current keys', () => {
    const d = direction();
    const packet = d.seal(3);
    // Flip the (protected) key phase bit: the header no longer authenticates.
    const header = parsePacketHeader(packet, 0, 4);
    if (header?.form !== 'short') throw new Error('not a short header');
    packet[0] = packet[0]! ^ 0x04;
    expect(d.open(packet, 0)).toBe(false);
    expect(d.receive.updates).toBe(0);
  });
});

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('key update over UDP loopback, our client and our server', () => {
  it('updates keys started by the client, then by the server, while streams keep echoing', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    const payload = randomBytes(64 * 1024);
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    const server = accepted[0]!;
    await vi.waitFor(() => expect(connection.updateKeys()).toBe(true), { timeout: 10_000 });
    // No second update before the peer answered the first.
    expect(connection.updateKeys()).toBe(false);
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    await vi.waitFor(() => {
      expect(connection.stats.keyUpdates).toBe(1);
      expect(server.stats.keyUpdates).toBe(1);
    });
    await vi.waitFor(() => expect(server.updateKeys()).toBe(true), { timeout: 10_000 });
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    await vi.waitFor(() => {
      expect(connection.stats.keyUpdates).toBe(2);
      expect(server.stats.keyUpdates).toBe(2);
    });
    // The old read keys are dropped three PTOs after each update.
    await vi.waitFor(
      () => {
        expect(connection.hasPreviousReadKeys).toBe(false);
        expect(server.hasPreviousReadKeys).toBe(false);
      },
      { timeout: 10_000 },
    );
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
  }, 60_000);
});
