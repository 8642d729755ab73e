import { describe, expect, it } from 'vitest';
import { TLS_AES_128_GCM_SHA256 } from '../src/quic/crypto/cipher-suite.js';
import { hkdfExpandLabel } from '../src/quic/crypto/hkdf.js';
import {
  parseAlpn,
  parseServerKeyShare,
  parseServerName,
} from '../src/quic/tls/handshake-codec.js';
import { parseClientHello, parseServerHello } from '../src/quic/tls/hello-messages.js';
import { KeySchedule } from '../src/quic/tls/key-schedule.js';
import { hex, toHex } from './helpers.js';
import { CLIENT_CRYPTO_FRAME } from './rfc9001-vectors.js';

// RFC 8448 §3 "Simple 1-RTT Handshake": the (EC)DHE secret and transcript hashes it prints.
const SHARED = hex('8bd4054fb55b9d63fdfbacf9f04b9f0d35e6d63f537563efd46272900f89492d');
const HASH_CH_SH = hex('860c06edc07858ee8e78f0e7428c58edd6b43f2ca3e6e95f02ed063cf0e1cad8');
const HASH_CH_SERVER_FINISHED = hex(
  '9608102a0f1ccc6db6250b7b7e417b1a000eaada3daae4777a7686c9ff83df13',
);
const SERVER_HELLO =
  '020000560303a6af06a4121860dc5e6e60249cd34c95930c8ac5cb1434dac155772ed3e2692800130100002e00330024001d0020c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f002b00020304';

describe('TLS 1.3 key schedule against RFC 8448 §3', () => {
  it('derives the handshake and application traffic secrets and the client Finished', () => {
    const schedule = new KeySchedule(TLS_AES_128_GCM_SHA256);
    const hs = schedule.handshakeSecrets(SHARED, HASH_CH_SH);
    expect(toHex(hs.client)).toBe(
      'b3eddb126e067f35a780b3abf45e2d8f3b1a950738f52e9600746a0e27a55a21',
    );
    expect(toHex(hs.server)).toBe(
      'b67b7d690cc16c4e75e54213cb2d37b4e9c912bcded9105d42befd59d391ad38',
    );
    // The TLS record keys the trace prints come from the same expansion QUIC uses.
    expect(toHex(hkdfExpandLabel('sha256', hs.server, 'key', new Uint8Array(0), 16))).toBe(
      '3fce516009c21727d0f2e4e86ee403bc',
    );
    const app = schedule.applicationSecrets(HASH_CH_SERVER_FINISHED);
    expect(toHex(app.client)).toBe(
      '9e40646ce79a7f9dc05af8889bce6552875afa0b06df0087f792ebb7c17504a5',
    );
    expect(toHex(app.server)).toBe(
      'a11af9f05531f856ad47116b45a950328204b4f44bfb6b3a4b4f1f3fcb631643',
    );
    expect(toHex(schedule.finishedVerifyData(hs.client, HASH_CH_SERVER_FINISHED))).toBe(
      'a8ec436d677634ae525ac1fcebe11a039ec17694fac6e98527b642f2edd5ce61',
    );
  });

  it('parses the trace ServerHello: suite, X25519 share, TLS 1.3', () => {
    const hello = parseServerHello(hex(SERVER_HELLO).subarray(4));
    expect(hello.cipherSuite).toBe(0x1301);
    const share = parseServerKeyShare(hello.extensions.get(51)!);
    expect(share.group).toBe(0x1d);
    expect(toHex(share.key)).toBe(
      'c9828876112095fe66762bdbf7c672e156d6cc253b833df1dd69b1b04e751f0f',
    );
    expect(toHex(hello.extensions.get(43)!)).toBe('0304');
  });

  it('parses the RFC 9001 A.2 ClientHello: SNI, ALPN, suites, transport parameters', () => {
    // CRYPTO frame header: type 06, offset 00, length 40f1; then the handshake message.
    const message = hex(CLIENT_CRYPTO_FRAME).subarray(4);
    expect(message[0]).toBe(1);
    const hello = parseClientHello(message.subarray(4));
    expect(hello.cipherSuites).toEqual([0x1301, 0x1302]);
    expect(parseServerName(hello.extensions.get(0)!)).toBe('example.com');
    expect(parseAlpn(hello.extensions.get(16)!)).toEqual(['alpn']);
    expect(hello.extensions.get(57)!.length).toBe(50);
  });
});
