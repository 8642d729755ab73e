import { describe, expect, it } from 'vitest';
import { ByteWriter } from '../src/quic/byte-writer.js';
import { TLS_CHACHA20_POLY1305_SHA256 } from '../src/quic/crypto/cipher-suite.js';
import { hkdfExpandLabel } from '../src/quic/crypto/hkdf.js';
import { deriveInitialKeys } from '../src/quic/crypto/initial-secrets.js';
import { PacketKeys } from '../src/quic/crypto/packet-keys.js';
import { retryIntegrityTag, verifyRetryIntegrity } from '../src/quic/crypto/retry-integrity.js';
import { parseFrames } from '../src/quic/frame-parser.js';
import { parsePacketHeader, writeLongHeader, writeShortHeader } from '../src/quic/packet-header.js';
import { protectPacket, unprotectPacket } from '../src/quic/packet-protection.js';
import { QUIC_V1, QUIC_V2, type VersionProfile, versionProfile } from '../src/quic/version.js';
import { hex, toHex } from './helpers.js';
import {
  CLIENT_CRYPTO_FRAME,
  SERVER_PAYLOAD,
  V1_CLIENT_INITIAL,
  V1_RETRY,
  V1_SERVER_INITIAL,
} from './rfc9001-vectors.js';
import { V2_CLIENT_INITIAL, V2_RETRY, V2_SERVER_INITIAL } from './rfc9369-vectors.js';

const DCID = hex('8394c8f03e515708');
const V1 = versionProfile(QUIC_V1)!;
const V2 = versionProfile(QUIC_V2)!;

describe('initial secrets (RFC 9001 A.1, RFC 9369 A.1)', () => {
  it('derives the v1 client and server keys', () => {
    const { client, server } = deriveInitialKeys(V1, DCID);
    expect(toHex(client.secret)).toBe(
      'c00cf151ca5be075ed0ebfb5c80323c42d6b7db67881289af4008f1f6c357aea',
    );
    expect(toHex(client.key)).toBe('1f369613dd76d5467730efcbe3b1a22d');
    expect(toHex(client.iv)).toBe('fa044b2f42a3fd3b46fb255c');
    expect(toHex(client.hp)).toBe('9f50449e04a0e810283a1e9933adedd2');
    expect(toHex(server.secret)).toBe(
      '3c199828fd139efd216c155ad844cc81fb82fa8d7446fa7d78be803acdda951b',
    );
    expect(toHex(server.key)).toBe('cf3a5331653c364c88f0f379b6067e37');
    expect(toHex(server.iv)).toBe('0ac1493ca1905853b0bba03e');
    expect(toHex(server.hp)).toBe('c206b8d9b9f0f37644430b490eeaa314');
  });

  it('derives the v2 client and server keys', () => {
    const { client, server } = deriveInitialKeys(V2, DCID);
    expect(toHex(client.key)).toBe('8b1a0bc121284290a29e0971b5cd045d');
    expect(toHex(client.iv)).toBe('91f73e2351d8fa91660e909f');
    expect(toHex(client.hp)).toBe('45b95e15235d6f45a6b19cbcb0294ba9');
    expect(toHex(server.key)).toBe('82db637861d55e1d011f19ea71d5d2a7');
    expect(toHex(server.iv)).toBe('dd13c276499c0249d3310652');
    expect(toHex(server.hp)).toBe('edf6d05c83121201b436e16877593c3a');
  });
});

function clientPayload(): Uint8Array {
  const payload = new Uint8Array(1162);
  payload.set(hex(CLIENT_CRYPTO_FRAME));
  return payload;
}

describe.each([
  ['v1 (RFC 9001 A.2, A.3)', V1, V1_CLIENT_INITIAL, V1_SERVER_INITIAL],
  ['v2 (RFC 9369 A.2, A.3)', V2, V2_CLIENT_INITIAL, V2_SERVER_INITIAL],
] as const)('Initial packets, %s', (_name, profile: VersionProfile, clientVector, serverVector) => {
  it('protects the client Initial to the exact bytes', () => {
    const w = new ByteWriter();
    const pnOffset = writeLongHeader(w, {
      type: 'initial',
      profile,
      dcid: DCID,
      scid: new Uint8Array(0),
      pn: 2,
      pnLength: 4,
      payloadLength: 1162 + 16,
    });
    const packet = protectPacket(
      deriveInitialKeys(profile, DCID).client,
      w.view(),
      pnOffset,
      2,
      clientPayload(),
    );
    expect(toHex(packet)).toBe(toHex(hex(clientVector)));
  });

  it('parses and opens the client Initial', () => {
    const buf = hex(clientVector);
    const header = parsePacketHeader(buf, 0, 0);
    expect(header?.form).toBe('long');
    if (header?.form !== 'long') return;
    expect(header.type).toBe('initial');
    expect(header.version).toBe(profile.version);
    expect(toHex(header.dcid)).toBe('8394c8f03e515708');
    expect(header.end).toBe(1200);
    const opened = unprotectPacket(
      deriveInitialKeys(profile, DCID).client,
      buf,
      0,
      header.pnOffset,
      header.end,
      -1,
    );
    expect(opened?.pn).toBe(2);
    expect(toHex(opened!.payload)).toBe(toHex(clientPayload()));
    const frames = parseFrames(opened!.payload, 'initial');
    expect(frames.map((f) => f.type)).toEqual(['crypto', 'padding']);
  });

  it('protects the server Initial to the exact bytes and opens it again', () => {
    const keys = deriveInitialKeys(profile, DCID).server;
    const payload = hex(SERVER_PAYLOAD);
    const w = new ByteWriter();
    const pnOffset = writeLongHeader(w, {
      type: 'initial',
      profile,
      dcid: new Uint8Array(0),
      scid: hex('f067a5502a4262b5'),
      pn: 1,
      pnLength: 2,
      payloadLength: payload.length + 16,
    });
    const packet = protectPacket(keys, w.view(), pnOffset, 1, payload);
    expect(toHex(packet)).toBe(toHex(hex(serverVector)));
    const header = parsePacketHeader(packet, 0, 0);
    if (header?.form !== 'long') throw new Error('not a long header');
    const opened = unprotectPacket(keys, packet, 0, header.pnOffset, header.end, 0);
    expect(opened?.pn).toBe(1);
    expect(parseFrames(opened!.payload, 'initial').map((f) => f.type)).toEqual(['ack', 'crypto']);
  });

  it('drops a packet with one flipped bit (authentication fails, no throw)', () => {
    const buf = hex(clientVector);
    buf[500] = buf[500]! ^ 1;
    const header = parsePacketHeader(buf, 0, 0);
    if (header?.form !== 'long') throw new Error('not a long header');
    expect(
      unprotectPacket(
        deriveInitialKeys(profile, DCID).client,
        buf,
        0,
        header.pnOffset,
        header.end,
        -1,
      ),
    ).toBe(null);
  });
});

describe('Retry integrity tag (RFC 9001 A.4, RFC 9369 A.4)', () => {
  it.each([
    ['v1', V1, V1_RETRY],
    ['v2', V2, V2_RETRY],
  ] as const)('%s: computes the tag and parses the Retry', (_name, profile, vector) => {
    const retry = hex(vector);
    expect(toHex(retryIntegrityTag(profile, DCID, retry.subarray(0, retry.length - 16)))).toBe(
      toHex(retry.subarray(retry.length - 16)),
    );
    expect(verifyRetryIntegrity(profile, DCID, retry)).toBe(true);
    expect(verifyRetryIntegrity(profile, hex('0000000000000000'), retry)).toBe(false);
    const header = parsePacketHeader(retry, 0, 0);
    expect(header?.form).toBe('retry');
    if (header?.form === 'retry') {
      expect(Buffer.from(header.token).toString()).toBe('token');
      expect(toHex(header.scid)).toBe('f067a5502a4262b5');
    }
  });
});

describe.each([
  [
    'v1 (RFC 9001 A.5)',
    V1,
    'c6d98ff3441c3fe1b2182094f69caa2ed4b716b65488960a7a984979fb23e1c8',
    '4cfe4189655e5cd55c41f69080575d7999c25a5bfb',
  ],
  [
    'v2 (RFC 9369 A.5)',
    V2,
    '3bfcddd72bcf02541d7fa0dd1f5f9eeea817e09a6963a0e6c7df0f9a1bab90f2',
    '5558b1c60ae7b6b932bc27d786f4bc2bb20f2162ba',
  ],
] as const)('ChaCha20-Poly1305 short header, %s', (_name, profile, key, packetHex) => {
  const secret = hex('9ac312a7f877468ebe69422748ad00a15443f18203a07d6060f688f30f21632b');
  const pn = 654360564;

  it('derives the keys and the key-update secret', () => {
    const keys = new PacketKeys(TLS_CHACHA20_POLY1305_SHA256, secret, profile);
    expect(toHex(keys.key)).toBe(key);
    const ku = hkdfExpandLabel('sha256', secret, profile.labels.ku, new Uint8Array(0), 32);
    const next = keys.nextPhase(profile);
    expect(toHex(next.secret)).toBe(toHex(ku));
    // The header protection key survives key updates (RFC 9001 §6).
    expect(toHex(next.hp)).toBe(toHex(keys.hp));
    expect(toHex(next.key)).not.toBe(toHex(keys.key));
  });

  it('protects a PING to the smallest possible packet and opens it', () => {
    const keys = new PacketKeys(TLS_CHACHA20_POLY1305_SHA256, secret, profile);
    const w = new ByteWriter();
    const pnOffset = writeShortHeader(w, new Uint8Array(0), pn, 3, 0);
    expect(toHex(w.view())).toBe('4200bff4');
    const packet = protectPacket(keys, w.view(), pnOffset, pn, Uint8Array.of(0x01));
    expect(toHex(packet)).toBe(packetHex);
    const header = parsePacketHeader(packet, 0, 0);
    if (header?.form !== 'short') throw new Error('not a short header');
    const opened = unprotectPacket(keys, packet, 0, header.pnOffset, header.end, pn - 1);
    expect(opened?.pn).toBe(pn);
    expect(toHex(opened!.payload)).toBe('01');
  });
});
