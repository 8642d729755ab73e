import { beforeAll, describe, expect, it } from 'vitest';
import { QuicError } from '../src/errors.js';
import {
  type CipherSuite,
  TLS_AES_128_GCM_SHA256,
  TLS_AES_256_GCM_SHA384,
  TLS_CHACHA20_POLY1305_SHA256,
} from '../src/quic/crypto/cipher-suite.js';
import { GROUP } from '../src/quic/tls/key-exchange.js';
import { TlsClient, type TlsClientOptions } from '../src/quic/tls/tls-client.js';
import {
  loadServerIdentity,
  TlsServer,
  type TlsServerOptions,
} from '../src/quic/tls/tls-server.js';
import type { EncryptionLevel, TlsCallbacks } from '../src/quic/tls/tls-types.js';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { toHex } from './helpers.js';

interface Side {
  secrets: Map<string, string>;
  outbox: Array<[EncryptionLevel, Uint8Array]>;
  callbacks: TlsCallbacks;
}

function side(): Side {
  const s: Side = {
    secrets: new Map(),
    outbox: [],
    callbacks: {
      sendHandshake: (level, data) => s.outbox.push([level, data]),
      installSecret: (level, direction, _suite, secret) =>
        s.secrets.set(`${level}:${direction}`, toHex(secret)),
    },
  };
  return s;
}

/**
 * Runs a handshake in memory: each side's CRYPTO output is fed to the other, level by level,
 * split into 7-byte pieces to exercise message reassembly. Returns both sides.
 */
function handshake(
  creds: ServerCredentials,
  clientOptions: Partial<TlsClientOptions> = {},
  serverOptions: Partial<TlsServerOptions> = {},
  tamper?: (from: 'client' | 'server', level: EncryptionLevel, data: Uint8Array) => Uint8Array,
) {
  const c = side();
  const s = side();
  const client = new TlsClient(
    {
      serverName: 'localhost',
      alpn: ['test'],
      transportParameters: Uint8Array.of(1, 2, 3),
      ca: [creds.ca],
      ...clientOptions,
    },
    c.callbacks,
  );
  const server = new TlsServer(
    {
      alpn: ['test'],
      transportParameters: Uint8Array.of(4, 5),
      ...serverOptions,
    },
    loadServerIdentity(creds.cert, creds.key),
    s.callbacks,
  );
  client.start();
  for (let round = 0; round < 10 && (c.outbox.length > 0 || s.outbox.length > 0); round++) {
    for (const [from, to, box] of [
      ['client', server, c.outbox],
      ['server', client, s.outbox],
    ] as const) {
      for (const [level, data] of box.splice(0)) {
        const bytes = tamper ? tamper(from, level, data) : data;
        for (let i = 0; i < bytes.length; i += 7) to.receive(level, bytes.subarray(i, i + 7));
      }
    }
  }
  return { client, server, c, s };
}

function alertOf(fn: () => unknown): number {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(QuicError);
    return (err as QuicError).transportCode - 0x100;
  }
  throw new Error('the handshake did not fail');
}

const creds = {} as Record<'ec' | 'rsa' | 'ed25519', ServerCredentials>;
beforeAll(() => {
  creds.ec = makeCredentials('ec');
  creds.rsa = makeCredentials('rsa');
  creds.ed25519 = makeCredentials('ed25519');
});

describe('TLS 1.3 handshake over CRYPTO data, client and server in memory', () => {
  const suites: CipherSuite[] = [
    TLS_AES_128_GCM_SHA256,
    TLS_AES_256_GCM_SHA384,
    TLS_CHACHA20_POLY1305_SHA256,
  ];
  for (const suite of suites) {
    for (const group of [GROUP.X25519, GROUP.SECP256R1]) {
      it(`completes with ${suite.name}, group 0x${group.toString(16)}`, () => {
        const { client, server, c, s } = handshake(creds.ec, {
          cipherSuites: [suite],
          groups: [group],
        });
        expect(client.isComplete).toBe(true);
        expect(server.isComplete).toBe(true);
        expect(client.suite).toBe(suite);
        expect(server.suite).toBe(suite);
        // Each side reads with the secret the other writes with, at both levels.
        for (const level of ['handshake', 'application']) {
          expect(c.secrets.get(`${level}:write`)).toBe(s.secrets.get(`${level}:read`));
          expect(s.secrets.get(`${level}:write`)).toBe(c.secrets.get(`${level}:read`));
          expect(c.secrets.get(`${level}:write`)).not.toBe(c.secrets.get(`${level}:read`));
        }
        expect(c.secrets.get('application:write')).toHaveLength(suite.hash === 'sha384' ? 96 : 64);
      });
    }
  }

  it.each(['ec', 'rsa', 'ed25519'] as const)('signs CertificateVerify with a %s key', (keyType) => {
    const { client, server } = handshake(creds[keyType]);
    expect(client.isComplete && server.isComplete).toBe(true);
  });

  it('negotiates ALPN and exchanges transport parameters and SNI', () => {
    const { client, server } = handshake(
      creds.ec,
      { alpn: ['other', 'test'] },
      { alpn: ['test', 'other'] },
    );
    expect(client.alpn).toBe('test');
    expect(server.alpn).toBe('test');
    expect(server.serverName).toBe('localhost');
    expect(client.peerTransportParameters).toEqual(Uint8Array.of(4, 5));
    expect(server.peerTransportParameters).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('checks an IP address against the certificate without sending it as SNI', () => {
    const { client, server } = handshake(creds.ec, { serverName: '127.0.0.1' });
    expect(client.isComplete).toBe(true);
    expect(server.serverName).toBe(undefined);
  });

  it('fails with no_application_protocol when ALPN does not match', () => {
    expect(alertOf(() => handshake(creds.ec, { alpn: ['h3'] }))).toBe(120);
  });

  it('fails with bad_certificate for an untrusted server', () => {
    expect(alertOf(() => handshake(creds.ec, { ca: [creds.rsa.ca] }))).toBe(42);
  });

  it('fails with bad_certificate when the certificate names another host', () => {
    expect(alertOf(() => handshake(creds.ec, { serverName: 'example.com' }))).toBe(42);
  });

  it('accepts any certificate with rejectUnauthorized: false', () => {
    expect(
      handshake(creds.ec, { ca: [creds.rsa.ca], serverName: 'x.test', rejectUnauthorized: false })
        .client.isComplete,
    ).toBe(true);
  });

  it('fails with handshake_failure when no cipher suite is shared', () => {
    expect(
      alertOf(() =>
        handshake(
          creds.ec,
          { cipherSuites: [TLS_AES_256_GCM_SHA384] },
          { cipherSuites: [TLS_AES_128_GCM_SHA256] },
        ),
      ),
    ).toBe(40);
  });

  it('fails with decrypt_error when the server Finished is altered', () => {
    // The Finished is the last message of the server's handshake-level flight.
    let flights = 0;
    const alert = alertOf(() =>
      handshake(creds.ec, {}, {}, (from, level, data) => {
        if (from !== 'server' || level !== 'handshake') return data;
        flights++;
        if (flights !== 4) return data;
        const copy = Uint8Array.from(data);
        copy[copy.length - 1] = copy[copy.length - 1]! ^ 1;
        return copy;
      }),
    );
    expect(alert).toBe(51);
  });

  it('fails with decrypt_error when the CertificateVerify signature is altered', () => {
    let flights = 0;
    const alert = alertOf(() =>
      handshake(creds.ed25519, {}, {}, (from, level, data) => {
        if (from !== 'server' || level !== 'handshake') return data;
        flights++;
        if (flights !== 3) return data;
        const copy = Uint8Array.from(data);
        copy[copy.length - 1] = copy[copy.length - 1]! ^ 1;
        return copy;
      }),
    );
    expect(alert).toBe(51);
  });

  it('client certificates: the server checks the chain and the client CertificateVerify', () => {
    const clientAuth = { ca: [creds.rsa.ca], isRequired: true };
    // The RSA server certificate as a client one: its extendedKeyUsage says serverAuth only.
    const certificate = loadServerIdentity(creds.rsa.cert, creds.rsa.key);
    const misused = alertOf(() => handshake(creds.ec, { certificate }, { clientAuth }));
    expect(misused).toBe(42);
    expect(() => handshake(creds.ec, { certificate }, { clientAuth })).toThrow(
      /extendedKeyUsage does not allow client authentication/,
    );
    // Trusted with the usage check passing (the CA itself, which has no extendedKeyUsage)…
    const self = loadServerIdentity(creds.ed25519.cert, creds.ed25519.key);
    const trusted = { ca: [creds.ed25519.ca], isRequired: true };
    const { server } = handshake(creds.ec, { certificate: self }, { clientAuth: trusted });
    expect(server.isComplete).toBe(true);
    expect(server.isPeerAuthorized).toBe(true);
    expect(server.peerCertificates).toHaveLength(1);
    // …but not with the signature of its CertificateVerify altered (the client's second message).
    let messages = 0;
    const forged = alertOf(() =>
      handshake(creds.ec, { certificate: self }, { clientAuth: trusted }, (from, level, data) => {
        if (from !== 'client' || level !== 'handshake') return data;
        messages++;
        if (messages !== 2) return data;
        const copy = Uint8Array.from(data);
        copy[copy.length - 1] = copy[copy.length - 1]! ^ 1;
        return copy;
      }),
    );
    expect(forged).toBe(51);
  });

  it('rejects a message at the wrong level with unexpected_message', () => {
    const { client } = handshake(creds.ec);
    expect(alertOf(() => client.receive('handshake', Uint8Array.of(20, 0, 0, 0)))).toBe(10);
  });

  it('rejects a truncated ClientHello body with decode_error', () => {
    const s = side();
    const server = new TlsServer(
      {
        alpn: ['test'],
        transportParameters: new Uint8Array(0),
      },
      loadServerIdentity(creds.ec.cert, creds.ec.key),
      s.callbacks,
    );
    expect(alertOf(() => server.receive('initial', Uint8Array.of(1, 0, 0, 3, 3, 3, 0)))).toBe(50);
  });
});
