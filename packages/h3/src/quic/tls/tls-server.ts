import { createPrivateKey, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import {
  cryptoError,
  invalidOptions,
  TLS_ALERT,
  TRANSPORT_ERROR,
  transportError,
} from '../../errors.js';
import { CIPHER_SUITES, type CipherSuite } from '../crypto/cipher-suite.js';
import {
  encodeAlpn,
  encodeServerKeyShare,
  HandshakeFramer,
  handshakeMessage,
  offersTls13,
  parseAlpn,
  parseClientKeyShares,
  parseServerName,
  parseU16List,
  requireExtension,
} from './handshake-codec.js';
import {
  encodeCertificate,
  encodeCertificateVerify,
  encodeEncryptedExtensions,
  encodeServerHello,
  HELLO_RETRY_REQUEST_RANDOM,
  parseClientHello,
} from './hello-messages.js';
import { createKeyShare, SUPPORTED_GROUPS } from './key-exchange.js';
import { helloRetryMessageHash, KeySchedule } from './key-schedule.js';
import { schemeForKey, signCertificateVerify } from './signature.js';
import {
  type EncryptionLevel,
  EXTENSION,
  HANDSHAKE_TYPE,
  type TlsCallbacks,
  type TlsHandshake,
} from './tls-types.js';

/** What the server side of the handshake negotiates (its certificate is a ServerIdentity). */
export interface TlsServerOptions {
  /** Application protocols we accept, preferred first; one must match the client's. */
  readonly alpn: readonly string[];
  /** Our encoded quic_transport_parameters. */
  readonly transportParameters: Uint8Array;
  /** Cipher suites to accept, preferred first. Default: all three. */
  readonly cipherSuites?: readonly CipherSuite[];
  /** Key exchange groups to accept, preferred first. Default X25519, P-256. */
  readonly groups?: readonly number[];
}

/** The parts of a server identity prepared once and shared by every connection. */
export interface ServerIdentity {
  readonly chain: readonly Uint8Array[];
  readonly key: KeyObject;
  readonly scheme: number;
}

/**
 * Parses a PEM certificate chain (leaf first) and the leaf's private key (ECDSA P-256, RSA,
 * which signs with RSA-PSS, or Ed25519) once per endpoint, not per handshake.
 */
export function loadServerIdentity(certPem: string, keyPem: string): ServerIdentity {
  const blocks =
    certPem.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
  if (blocks.length === 0) throw invalidOptions('cert holds no PEM certificate');
  const chain = blocks.map((pem) => new Uint8Array(new X509Certificate(pem).raw));
  const key = createPrivateKey(keyPem);
  const scheme = schemeForKey(key);
  if (scheme === undefined) {
    throw invalidOptions(`key type ${key.asymmetricKeyType} is not ECDSA P-256, RSA or Ed25519`);
  }
  return { chain, key, scheme };
}

type ServerState = 'wait-client-hello' | 'wait-finished' | 'done';

/**
 * A TLS 1.3 server handshake for one QUIC connection: answers a ClientHello with ServerHello
 * (Initial level) and EncryptedExtensions, Certificate, CertificateVerify, Finished (Handshake
 * level), then checks the client Finished; a HelloRetryRequest asks for another key share
 * when the client sent none we accept. Client certificates and session
 * tickets are planned.
 * @see RFC 8446 §4, RFC 9001 §4
 */
export class TlsServer implements TlsHandshake {
  readonly #options: TlsServerOptions;
  readonly #identity: ServerIdentity;
  readonly #callbacks: TlsCallbacks;
  readonly #framers = {
    initial: new HandshakeFramer(),
    handshake: new HandshakeFramer(),
    application: new HandshakeFramer(),
  };
  #state: ServerState = 'wait-client-hello';
  #schedule: KeySchedule | undefined;
  /** After a HelloRetryRequest: the group asked for and the transcript so far. */
  #retry: { group: number; suite: CipherSuite; transcript: Uint8Array[] } | undefined;
  #clientHandshakeSecret: Uint8Array | undefined;
  #clientApplicationSecret: Uint8Array | undefined;
  alpn: string | undefined;
  peerTransportParameters: Uint8Array | undefined;
  suite: CipherSuite | undefined;
  clientRandom: Uint8Array | undefined;
  /** The server_name the client asked for, if any. */
  serverName: string | undefined;

  constructor(options: TlsServerOptions, identity: ServerIdentity, callbacks: TlsCallbacks) {
    this.#options = options;
    this.#identity = identity;
    this.#callbacks = callbacks;
  }

  get isComplete(): boolean {
    return this.#state === 'done';
  }

  receive(level: EncryptionLevel, data: Uint8Array): void {
    const framer = this.#framers[level];
    framer.push(data);
    for (let message = framer.next(); message !== undefined; message = framer.next()) {
      if (
        this.#state === 'wait-client-hello' &&
        level === 'initial' &&
        message.type === HANDSHAKE_TYPE.CLIENT_HELLO
      ) {
        // Nothing may follow the ClientHello at the Initial level (keys change after it).
        if (framer.hasPartial)
          throw cryptoError(TLS_ALERT.UNEXPECTED_MESSAGE, 'data after the ClientHello');
        this.#onClientHello(message.body, message.raw);
      } else if (
        this.#state === 'wait-finished' &&
        level === 'handshake' &&
        message.type === HANDSHAKE_TYPE.FINISHED
      ) {
        this.#onFinished(message.body);
      } else {
        throw cryptoError(
          TLS_ALERT.UNEXPECTED_MESSAGE,
          `handshake message ${message.type} at the ${level} level in state ${this.#state}`,
        );
      }
    }
  }

  #onClientHello(body: Uint8Array, raw: Uint8Array): void {
    const hello = parseClientHello(body);
    this.clientRandom = hello.random.slice();
    if (!offersTls13(hello.extensions))
      throw cryptoError(TLS_ALERT.PROTOCOL_VERSION, 'the client does not offer TLS 1.3');
    const suites = this.#options.cipherSuites ?? CIPHER_SUITES;
    const suite = this.#retry?.suite ?? suites.find((s) => hello.cipherSuites.includes(s.code));
    if (suite === undefined || !hello.cipherSuites.includes(suite.code))
      throw cryptoError(TLS_ALERT.HANDSHAKE_FAILURE, 'no cipher suite in common');
    const shares = parseClientKeyShares(
      requireExtension(hello.extensions, EXTENSION.KEY_SHARE, 'key_share'),
    );
    const offeredGroups = parseU16List(
      requireExtension(hello.extensions, EXTENSION.SUPPORTED_GROUPS, 'supported_groups'),
      2,
      'supported_groups',
    );
    const groups = this.#options.groups ?? SUPPORTED_GROUPS;
    const share = groups
      .map((g) => shares.find((s) => s.group === g && offeredGroups.includes(g)))
      .find((s) => s !== undefined);
    if (this.#retry !== undefined && share?.group !== this.#retry.group)
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        'the second ClientHello has no key share for the group the HelloRetryRequest asked for',
      );
    if (share === undefined) {
      const group = groups.find((g) => offeredGroups.includes(g));
      if (group === undefined)
        throw cryptoError(TLS_ALERT.HANDSHAKE_FAILURE, 'no key exchange group in common');
      this.#sendHelloRetryRequest(suite, group, raw);
      return;
    }
    const schemes = parseU16List(
      requireExtension(hello.extensions, EXTENSION.SIGNATURE_ALGORITHMS, 'signature_algorithms'),
      2,
      'signature_algorithms',
    );
    if (!schemes.includes(this.#identity.scheme)) {
      throw cryptoError(
        TLS_ALERT.HANDSHAKE_FAILURE,
        `the client does not accept signature scheme 0x${this.#identity.scheme.toString(16)}`,
      );
    }
    const offeredAlpn = parseAlpn(requireExtension(hello.extensions, EXTENSION.ALPN, 'ALPN'));
    const alpn = this.#options.alpn.find((p) => offeredAlpn.includes(p));
    if (alpn === undefined)
      throw cryptoError(TLS_ALERT.NO_APPLICATION_PROTOCOL, 'no application protocol in common');
    const params = hello.extensions.get(EXTENSION.QUIC_TRANSPORT_PARAMETERS);
    if (params === undefined) {
      throw cryptoError(
        TLS_ALERT.MISSING_EXTENSION,
        'the quic_transport_parameters extension is missing',
      );
    }
    const sni = hello.extensions.get(EXTENSION.SERVER_NAME);
    this.serverName = sni === undefined ? undefined : parseServerName(sni);
    if (hello.sessionId.length !== 0) {
      // RFC 9001 §8.4: a QUIC client must not ask for middlebox compatibility mode.
      throw transportError(
        TRANSPORT_ERROR.PROTOCOL_VIOLATION,
        'the ClientHello carries a legacy session id',
      );
    }
    this.suite = suite;
    this.alpn = alpn;
    this.peerTransportParameters = params;

    const schedule = new KeySchedule(suite);
    this.#schedule = schedule;
    for (const message of this.#retry?.transcript ?? []) schedule.addMessage(message);
    schedule.addMessage(raw);
    const ours = createKeyShare(share.group);
    const serverHello = handshakeMessage(
      HANDSHAKE_TYPE.SERVER_HELLO,
      encodeServerHello(randomBytes(32), hello.sessionId, suite.code, [
        [EXTENSION.SUPPORTED_VERSIONS, Uint8Array.of(0x03, 0x04)],
        [EXTENSION.KEY_SHARE, encodeServerKeyShare({ group: ours.group, key: ours.publicKey })],
      ]),
    );
    schedule.addMessage(serverHello);
    this.#callbacks.sendHandshake('initial', serverHello);
    const secrets = schedule.handshakeSecrets(ours.sharedSecret(share.key));
    this.#clientHandshakeSecret = secrets.client;
    this.#callbacks.installSecret('handshake', 'read', suite, secrets.client);
    this.#callbacks.installSecret('handshake', 'write', suite, secrets.server);

    const flight: Uint8Array[] = [];
    const add = (type: number, messageBody: Uint8Array): void => {
      const message = handshakeMessage(type, messageBody);
      schedule.addMessage(message);
      flight.push(message);
    };
    add(
      HANDSHAKE_TYPE.ENCRYPTED_EXTENSIONS,
      encodeEncryptedExtensions([
        [EXTENSION.ALPN, encodeAlpn([alpn])],
        [EXTENSION.QUIC_TRANSPORT_PARAMETERS, this.#options.transportParameters],
      ]),
    );
    add(HANDSHAKE_TYPE.CERTIFICATE, encodeCertificate(this.#identity.chain));
    const signature = signCertificateVerify(
      this.#identity.key,
      this.#identity.scheme,
      schedule.transcriptHash(),
    );
    add(
      HANDSHAKE_TYPE.CERTIFICATE_VERIFY,
      encodeCertificateVerify(this.#identity.scheme, signature),
    );
    add(HANDSHAKE_TYPE.FINISHED, schedule.finishedVerifyData(secrets.server));
    for (const message of flight) this.#callbacks.sendHandshake('handshake', message);

    const app = schedule.applicationSecrets();
    this.#clientApplicationSecret = app.client;
    // 1-RTT writes may start now (RFC 9001 §5.7: 0.5-RTT data); reads wait for the client Finished.
    this.#callbacks.installSecret('application', 'write', suite, app.server);
    this.#state = 'wait-finished';
  }

  /**
   * The client offered no key share we accept but supports `group`: ask for one
   * (RFC 8446 §4.1.4). Only one HelloRetryRequest per handshake.
   */
  #sendHelloRetryRequest(suite: CipherSuite, group: number, clientHello: Uint8Array): void {
    if (this.#retry !== undefined)
      throw cryptoError(TLS_ALERT.ILLEGAL_PARAMETER, 'a second ClientHello without a usable share');
    const hrr = handshakeMessage(
      HANDSHAKE_TYPE.SERVER_HELLO,
      encodeServerHello(HELLO_RETRY_REQUEST_RANDOM, new Uint8Array(0), suite.code, [
        [EXTENSION.SUPPORTED_VERSIONS, Uint8Array.of(0x03, 0x04)],
        [EXTENSION.KEY_SHARE, Uint8Array.of(group >> 8, group & 0xff)],
      ]),
    );
    this.#retry = {
      group,
      suite,
      transcript: [helloRetryMessageHash(suite, clientHello), hrr],
    };
    this.#callbacks.sendHandshake('initial', hrr);
  }

  #onFinished(body: Uint8Array): void {
    if (!this.#schedule!.checkFinished(this.#clientHandshakeSecret!, body)) {
      throw cryptoError(
        TLS_ALERT.DECRYPT_ERROR,
        'the client Finished does not match the transcript',
      );
    }
    this.#callbacks.installSecret(
      'application',
      'read',
      this.suite!,
      this.#clientApplicationSecret!,
    );
    this.#state = 'done';
  }
}
