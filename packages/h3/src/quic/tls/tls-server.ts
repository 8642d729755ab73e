import { createPrivateKey, type KeyObject, randomBytes, X509Certificate } from 'node:crypto';
import {
  cryptoError,
  invalidOptions,
  TLS_ALERT,
  TRANSPORT_ERROR,
  transportError,
} from '../../errors.js';
import { CIPHER_SUITES, type CipherSuite } from '../crypto/cipher-suite.js';
import { checkClientChain, splitPemBundle, untrusted } from './certificate-check.js';
import { encodeCertificateRequest } from './certificate-request.js';
import { asksForOcsp, encodeCertificateStatus } from './certificate-status.js';
import {
  type Extensions,
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
  parseCertificateMessage,
  parseCertificateVerify,
  parseClientHello,
} from './hello-messages.js';
import { createKeyShare, SUPPORTED_GROUPS } from './key-exchange.js';
import { helloRetryMessageHash, KeySchedule } from './key-schedule.js';
import { encodeSelectedPsk } from './pre-shared-key.js';
import {
  acceptResumption,
  acceptsEarlyData,
  issueTicket,
  type TicketSettings,
} from './server-resumption.js';
import {
  SUPPORTED_SIGNATURE_SCHEMES,
  schemeForKey,
  signCertificateVerify,
  verifyCertificateVerify,
} from './signature.js';
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
  /**
   * Our encoded quic_transport_parameters, or a function of the client's that returns them
   * (called once, when the ClientHello is in, before any keys: compatible version negotiation).
   */
  readonly transportParameters: Uint8Array | ((clientParameters: Uint8Array) => Uint8Array);
  /** Cipher suites to accept, preferred first. Default: all three. */
  readonly cipherSuites?: readonly CipherSuite[];
  /** Key exchange groups to accept, preferred first. Default X25519, P-256. */
  readonly groups?: readonly number[];
  /**
   * Client certificates (mTLS): a CertificateRequest goes out, and the client's chain is
   * checked against `ca` (PEM certificates). `isRequired` refuses handshakes without a
   * trusted one (certificate_required / bad_certificate); otherwise they go on unauthorized.
   */
  readonly clientAuth?: { readonly ca: readonly string[]; readonly isRequired: boolean };
  /**
   * The DER OCSP response to staple for a leaf certificate (DER), or null; asked only when the
   * client sent status_request. Must not wait (a handshake never blocks on a responder).
   */
  readonly ocspResponse?: (leaf: Uint8Array) => Uint8Array | null | undefined;
  /**
   * Session tickets: one NewSessionTicket after the handshake, and resumption (psk_dhe_ke) for
   * a ClientHello that brings one back. Not used with `clientAuth` (a resumed session has no
   * client certificate to show).
   */
  readonly tickets?: TicketSettings;
}

/** Picks the certificate for a ClientHello's server_name (SNI), undefined when there is none. */
export type IdentitySelector = (serverName: string | undefined) => ServerIdentity;

/** The parts of a server identity prepared once and shared by every connection. */
export interface ServerIdentity {
  readonly chain: readonly Uint8Array[];
  readonly key: KeyObject;
  readonly scheme: number;
}

/**
 * Parses a PEM certificate chain (leaf first) and the leaf's private key (ECDSA P-256 or P-384,
 * RSA, which signs with RSA-PSS, or Ed25519) once per endpoint, not per handshake; a key that
 * does not belong to the leaf is refused.
 */
export function loadServerIdentity(certPem: string, keyPem: string): ServerIdentity {
  const blocks = splitPemBundle(certPem);
  if (blocks.length === 0) throw invalidOptions('cert holds no PEM certificate');
  const certs = blocks.map((pem) => new X509Certificate(pem));
  const key = createPrivateKey(keyPem);
  const scheme = schemeForKey(key);
  if (scheme === undefined) {
    throw invalidOptions(
      `key type ${key.asymmetricKeyType} is not ECDSA P-256 or P-384, RSA or Ed25519`,
    );
  }
  // The key of another certificate would only show as failed handshakes: refuse it here.
  const probe = randomBytes(32);
  const signature = signCertificateVerify(key, scheme, probe);
  if (!verifyCertificateVerify(certs[0]!.publicKey, scheme, probe, signature)) {
    throw invalidOptions('key does not match the certificate (the first one in cert)');
  }
  return { chain: certs.map((cert) => new Uint8Array(cert.raw)), key, scheme };
}

type ServerState =
  | 'wait-client-hello'
  | 'wait-client-certificate'
  | 'wait-client-certificate-verify'
  | 'wait-finished'
  | 'done';

/**
 * A TLS 1.3 server handshake for one QUIC connection: answers a ClientHello with ServerHello
 * (Initial level) and EncryptedExtensions, Certificate, CertificateVerify, Finished (Handshake
 * level), then checks the client Finished; a HelloRetryRequest asks for another key share
 * when the client sent none we accept. With `clientAuth` a CertificateRequest precedes the
 * server Certificate and the client's Certificate and CertificateVerify precede its Finished.
 * The certificate follows the client's server_name when the identity is a selector, and an
 * OCSP response is stapled when the client asks for one. With `tickets` it issues a session
 * ticket after the handshake and resumes sessions from them (no Certificate then).
 * @see RFC 8446 §4, RFC 9001 §4
 */
export class TlsServer implements TlsHandshake {
  readonly #options: TlsServerOptions;
  readonly #identity: ServerIdentity | IdentitySelector;
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
  /** True when the client resumed a session with a ticket (no certificate was sent). */
  isResumed = false;
  /** 'accepted' when the client's 0-RTT data was taken. */
  earlyData: 'accepted' | undefined;
  #clientApplicationSecret: Uint8Array | undefined;
  alpn: string | undefined;
  peerTransportParameters: Uint8Array | undefined;
  suite: CipherSuite | undefined;
  clientRandom: Uint8Array | undefined;
  /** The server_name the client asked for, if any. */
  serverName: string | undefined;
  /** The client's certificate chain (DER, leaf first) when it sent one (mTLS). */
  peerCertificates: readonly Uint8Array[] | undefined;
  /** Why the client certificate is not trusted, or undefined (none sent, or trusted). */
  peerAuthorizationError: string | undefined;
  #peerLeaf: X509Certificate | undefined;

  constructor(
    options: TlsServerOptions,
    identity: ServerIdentity | IdentitySelector,
    callbacks: TlsCallbacks,
  ) {
    this.#options = options;
    this.#identity = identity;
    this.#callbacks = callbacks;
  }

  get isComplete(): boolean {
    return this.#state === 'done';
  }

  /** True when the client presented a certificate that verified against `clientAuth.ca`. */
  get isPeerAuthorized(): boolean {
    return this.#peerLeaf !== undefined && this.peerAuthorizationError === undefined;
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
        this.#state === 'wait-client-certificate' &&
        level === 'handshake' &&
        message.type === HANDSHAKE_TYPE.CERTIFICATE
      ) {
        this.#onClientCertificate(message.body, message.raw);
      } else if (
        this.#state === 'wait-client-certificate-verify' &&
        level === 'handshake' &&
        message.type === HANDSHAKE_TYPE.CERTIFICATE_VERIFY
      ) {
        this.#onClientCertificateVerify(message.body, message.raw);
      } else if (
        this.#state === 'wait-finished' &&
        level === 'handshake' &&
        message.type === HANDSHAKE_TYPE.FINISHED
      ) {
        this.#onFinished(message.body, message.raw);
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
    const sni = hello.extensions.get(EXTENSION.SERVER_NAME);
    this.serverName = sni === undefined ? undefined : parseServerName(sni);
    const identity =
      typeof this.#identity === 'function' ? this.#identity(this.serverName) : this.#identity;
    const schemes = parseU16List(
      requireExtension(hello.extensions, EXTENSION.SIGNATURE_ALGORITHMS, 'signature_algorithms'),
      2,
      'signature_algorithms',
    );
    if (!schemes.includes(identity.scheme)) {
      throw cryptoError(
        TLS_ALERT.HANDSHAKE_FAILURE,
        `the client does not accept signature scheme 0x${identity.scheme.toString(16)}`,
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
    const given = this.#options.transportParameters;
    const ourParameters = typeof given === 'function' ? given(params) : given;

    const tickets = this.#options.clientAuth === undefined ? this.#options.tickets : undefined;
    const before = this.#retry?.transcript ?? [];
    const resumption =
      tickets === undefined
        ? undefined
        : acceptResumption(tickets.keys, hello, raw, before, {
            suite,
            alpn,
            serverName: this.serverName,
          });
    const psk = resumption?.psk;
    this.isResumed = psk !== undefined;
    const schedule = new KeySchedule(suite, psk);
    this.#schedule = schedule;
    for (const message of before) schedule.addMessage(message);
    schedule.addMessage(raw);
    const isEarlyAccepted =
      resumption !== undefined &&
      acceptsEarlyData(tickets!, resumption, hello, suite, this.#retry !== undefined);
    if (isEarlyAccepted) {
      // 0-RTT packets may follow the ClientHello in the same datagram: keys first.
      this.earlyData = 'accepted';
      this.#callbacks.installSecret('early', 'read', suite, schedule.earlyTrafficSecret());
    }
    const ours = createKeyShare(share.group);
    const serverHelloExtensions: Array<readonly [number, Uint8Array]> = [
      [EXTENSION.SUPPORTED_VERSIONS, Uint8Array.of(0x03, 0x04)],
      [EXTENSION.KEY_SHARE, encodeServerKeyShare({ group: ours.group, key: ours.publicKey })],
    ];
    if (psk !== undefined)
      serverHelloExtensions.push([EXTENSION.PRE_SHARED_KEY, encodeSelectedPsk(0)]);
    const serverHello = handshakeMessage(
      HANDSHAKE_TYPE.SERVER_HELLO,
      encodeServerHello(randomBytes(32), hello.sessionId, suite.code, serverHelloExtensions),
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
        [EXTENSION.QUIC_TRANSPORT_PARAMETERS, ourParameters],
        ...(isEarlyAccepted ? [[EXTENSION.EARLY_DATA, new Uint8Array(0)] as const] : []),
      ]),
    );
    // A resumed session is authenticated by the PSK: no certificate (RFC 8446 §2.2).
    if (psk === undefined) this.#addCertificate(add, identity, hello.extensions, schedule);
    add(HANDSHAKE_TYPE.FINISHED, schedule.finishedVerifyData(secrets.server));
    for (const message of flight) this.#callbacks.sendHandshake('handshake', message);

    const app = schedule.applicationSecrets();
    this.#clientApplicationSecret = app.client;
    // 1-RTT writes may start now (RFC 9001 §5.7: 0.5-RTT data); reads wait for the client Finished.
    this.#callbacks.installSecret('application', 'write', suite, app.server);
    this.#state =
      this.#options.clientAuth === undefined || psk !== undefined
        ? 'wait-finished'
        : 'wait-client-certificate';
  }

  /** CertificateRequest (mTLS), Certificate (with a stapled OCSP response) and CertificateVerify. */
  #addCertificate(
    add: (type: number, body: Uint8Array) => void,
    identity: ServerIdentity,
    extensions: Extensions,
    schedule: KeySchedule,
  ): void {
    if (this.#options.clientAuth !== undefined) {
      add(
        HANDSHAKE_TYPE.CERTIFICATE_REQUEST,
        encodeCertificateRequest(SUPPORTED_SIGNATURE_SCHEMES),
      );
    }
    const leaf = identity.chain[0]!;
    const ocsp = asksForOcsp(extensions.get(EXTENSION.STATUS_REQUEST))
      ? this.#options.ocspResponse?.(leaf)
      : undefined;
    add(
      HANDSHAKE_TYPE.CERTIFICATE,
      encodeCertificate(
        identity.chain,
        ocsp == null ? [] : [[EXTENSION.STATUS_REQUEST, encodeCertificateStatus(ocsp)]],
      ),
    );
    const signature = signCertificateVerify(
      identity.key,
      identity.scheme,
      schedule.transcriptHash(),
    );
    add(HANDSHAKE_TYPE.CERTIFICATE_VERIFY, encodeCertificateVerify(identity.scheme, signature));
  }

  /**
   * The client's Certificate, answering our CertificateRequest (RFC 8446 §4.4.2.4): an empty
   * one is certificate_required when a certificate is required; an untrusted one fails then too,
   * and is otherwise kept, unauthorized, for the handler to see.
   */
  #onClientCertificate(body: Uint8Array, raw: Uint8Array): void {
    const clientAuth = this.#options.clientAuth!;
    const { chain } = parseCertificateMessage(body, 'client');
    this.#schedule!.addMessage(raw);
    if (chain.length === 0) {
      if (clientAuth.isRequired)
        throw cryptoError(TLS_ALERT.CERTIFICATE_REQUIRED, 'the client sent no certificate');
      this.#state = 'wait-finished';
      return;
    }
    const { leaf, problem } = checkClientChain(chain, clientAuth.ca);
    if (problem !== undefined && clientAuth.isRequired) throw untrusted('client', problem);
    this.peerCertificates = chain;
    this.peerAuthorizationError = problem;
    this.#peerLeaf = leaf;
    this.#state = 'wait-client-certificate-verify';
  }

  /** The client proves it holds the certificate's key over the transcript so far. */
  #onClientCertificateVerify(body: Uint8Array, raw: Uint8Array): void {
    const { scheme, signature } = parseCertificateVerify(body);
    if (!SUPPORTED_SIGNATURE_SCHEMES.includes(scheme)) {
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        `signature scheme 0x${scheme.toString(16)} was not offered`,
      );
    }
    const schedule = this.#schedule!;
    const hash = schedule.transcriptHash();
    if (!verifyCertificateVerify(this.#peerLeaf!.publicKey, scheme, hash, signature, 'client')) {
      throw cryptoError(
        TLS_ALERT.DECRYPT_ERROR,
        'the client CertificateVerify signature does not verify',
      );
    }
    schedule.addMessage(raw);
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

  #onFinished(body: Uint8Array, raw: Uint8Array): void {
    const schedule = this.#schedule!;
    if (!schedule.checkFinished(this.#clientHandshakeSecret!, body)) {
      throw cryptoError(
        TLS_ALERT.DECRYPT_ERROR,
        'the client Finished does not match the transcript',
      );
    }
    // The resumption master secret covers the transcript through the client Finished.
    schedule.addMessage(raw);
    this.#callbacks.installSecret(
      'application',
      'read',
      this.suite!,
      this.#clientApplicationSecret!,
    );
    this.#state = 'done';
    const tickets = this.#options.clientAuth === undefined ? this.#options.tickets : undefined;
    if (tickets !== undefined) {
      const ticket = issueTicket(tickets, schedule, this.alpn!, this.serverName);
      this.#callbacks.sendHandshake('application', ticket);
    }
  }
}
