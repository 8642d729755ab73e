import { cryptoError, TLS_ALERT } from '../../errors.js';
import { ByteWriter } from '../byte-writer.js';
import { type Extensions, readExtensions, tlsReader, writeExtensions } from './handshake-codec.js';

/**
 * ClientHello and ServerHello bodies, and the other handshake messages whose bodies are
 * fixed structures (Certificate, CertificateVerify).
 * @see RFC 8446 §4.1.2, §4.1.3, §4.4.2, §4.4.3
 */

/** A ClientHello as parsed. */
export interface ClientHello {
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuites: readonly number[];
  readonly extensions: Extensions;
}

/** A ServerHello as parsed (HelloRetryRequest has the special random). */
export interface ServerHello {
  readonly random: Uint8Array;
  readonly sessionId: Uint8Array;
  readonly cipherSuite: number;
  readonly extensions: Extensions;
}

/** The ServerHello.random that marks a HelloRetryRequest: SHA-256("HelloRetryRequest"). */
export const HELLO_RETRY_REQUEST_RANDOM: Uint8Array = Uint8Array.from(
  Buffer.from('cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c', 'hex'),
);

/** Encodes a ClientHello body. QUIC forbids middlebox compatibility mode: no session id. */
export function encodeClientHello(
  random: Uint8Array,
  cipherSuites: readonly number[],
  extensions: ReadonlyArray<readonly [number, Uint8Array]>,
): Uint8Array {
  const w = new ByteWriter(512).u16(0x0303).bytes(random).u8(0);
  w.u16(cipherSuites.length * 2);
  for (const s of cipherSuites) w.u16(s);
  w.u8(1).u8(0);
  writeExtensions(w, extensions);
  return w.finish();
}

export function parseClientHello(body: Uint8Array): ClientHello {
  const r = tlsReader(body, 'ClientHello');
  r.u16('legacy_version');
  const random = r.bytes(32, 'the random');
  const sessionId = r.bytes(r.u8(), 'legacy_session_id');
  if (sessionId.length > 32) throw r.fail('a session id longer than 32 bytes');
  const suiteBytes = r.u16('the cipher suites length');
  if (suiteBytes % 2 !== 0 || suiteBytes === 0) throw r.fail('a bad cipher suites length');
  const suites = r.sub(suiteBytes, 'the cipher suites');
  const cipherSuites: number[] = [];
  while (suites.remaining > 0) cipherSuites.push(suites.u16());
  const compression = r.bytes(r.u8(), 'the compression methods');
  if (compression.length !== 1 || compression[0] !== 0) {
    throw cryptoError(
      TLS_ALERT.ILLEGAL_PARAMETER,
      'ClientHello compression methods must be exactly [null]',
    );
  }
  return { random, sessionId, cipherSuites, extensions: readExtensions(r) };
}

export function encodeServerHello(
  random: Uint8Array,
  sessionId: Uint8Array,
  cipherSuite: number,
  extensions: ReadonlyArray<readonly [number, Uint8Array]>,
): Uint8Array {
  const w = new ByteWriter(128).u16(0x0303).bytes(random).u8(sessionId.length).bytes(sessionId);
  w.u16(cipherSuite).u8(0);
  writeExtensions(w, extensions);
  return w.finish();
}

export function parseServerHello(body: Uint8Array): ServerHello {
  const r = tlsReader(body, 'ServerHello');
  if (r.u16('legacy_version') !== 0x0303)
    throw cryptoError(TLS_ALERT.PROTOCOL_VERSION, 'ServerHello legacy_version is not 0x0303');
  const random = r.bytes(32, 'the random');
  const sessionId = r.bytes(r.u8(), 'legacy_session_id_echo');
  const cipherSuite = r.u16('the cipher suite');
  if (r.u8('the compression method') !== 0)
    throw cryptoError(TLS_ALERT.ILLEGAL_PARAMETER, 'ServerHello compression is not null');
  return { random, sessionId, cipherSuite, extensions: readExtensions(r) };
}

/** EncryptedExtensions body: just the extension list. */
export function encodeEncryptedExtensions(
  extensions: ReadonlyArray<readonly [number, Uint8Array]>,
): Uint8Array {
  const w = new ByteWriter(128);
  writeExtensions(w, extensions);
  return w.finish();
}

export function parseEncryptedExtensions(body: Uint8Array): Extensions {
  return readExtensions(tlsReader(body, 'EncryptedExtensions'));
}

/**
 * Certificate body: empty request context (the handshake's own, RFC 8446 §4.4.2), then DER
 * certificates; `leafExtensions` go into the first CertificateEntry (status_request).
 */
export function encodeCertificate(
  chain: readonly Uint8Array[],
  leafExtensions: ReadonlyArray<readonly [number, Uint8Array]> = [],
): Uint8Array {
  const w = new ByteWriter(2048).u8(0);
  const at = w.beginLength(3);
  chain.forEach((der, i) => {
    const len = w.beginLength(3);
    w.bytes(der);
    w.endLength(len, 3);
    if (i === 0 && leafExtensions.length > 0) writeExtensions(w, leafExtensions);
    else w.u16(0);
  });
  return w.endLength(at, 3).finish();
}

/** A Certificate message as parsed: the chain, leaf first, and the leaf entry's extensions. */
export interface CertificateMessage {
  readonly chain: Uint8Array[];
  readonly leafExtensions: Extensions;
}

/** Parses a Certificate body sent in the handshake (so with an empty request context). */
export function parseCertificateMessage(
  body: Uint8Array,
  sender: 'server' | 'client' = 'server',
): CertificateMessage {
  const r = tlsReader(body, 'Certificate');
  const context = r.bytes(r.u8(), 'the request context');
  if (context.length !== 0)
    throw cryptoError(
      TLS_ALERT.ILLEGAL_PARAMETER,
      `a ${sender} Certificate with a request context`,
    );
  const list = r.sub(r.u24(), 'the certificate list');
  const chain: Uint8Array[] = [];
  let leafExtensions: Extensions = new Map();
  while (list.remaining > 0) {
    const der = list.bytes(list.u24(), 'a certificate');
    const extensions = list.bytes(list.u16(), 'certificate extensions');
    if (chain.length === 0 && extensions.length > 0) {
      // readExtensions wants the list with its length prefix.
      const prefixed = new Uint8Array(extensions.length + 2);
      prefixed[0] = extensions.length >> 8;
      prefixed[1] = extensions.length & 0xff;
      prefixed.set(extensions, 2);
      leafExtensions = readExtensions(tlsReader(prefixed, 'certificate extensions'));
    }
    chain.push(der);
  }
  if (r.remaining !== 0) throw r.fail('trailing bytes');
  return { chain, leafExtensions };
}

export function encodeCertificateVerify(scheme: number, signature: Uint8Array): Uint8Array {
  return new ByteWriter(signature.length + 4)
    .u16(scheme)
    .u16(signature.length)
    .bytes(signature)
    .finish();
}

export function parseCertificateVerify(body: Uint8Array): {
  scheme: number;
  signature: Uint8Array;
} {
  const r = tlsReader(body, 'CertificateVerify');
  const scheme = r.u16('the signature scheme');
  const signature = r.bytes(r.u16(), 'the signature');
  if (r.remaining !== 0) throw r.fail('trailing bytes');
  return { scheme, signature };
}
