import { randomBytes, type X509Certificate } from 'node:crypto';
import { isIP } from 'node:net';
import { cryptoError, TLS_ALERT } from '../../errors.js';
import { CIPHER_SUITES, type CipherSuite } from '../crypto/cipher-suite.js';
import { checkServerChain } from './certificate-check.js';
import { parseCertificateRequest } from './certificate-request.js';
import { encodeStatusRequest, parseCertificateStatus } from './certificate-status.js';
import {
  encodeAlpn,
  encodeClientKeyShares,
  encodeServerName,
  encodeU16List,
  HandshakeFramer,
  handshakeMessage,
  parseAlpn,
  parseServerKeyShare,
  requireExtension,
} from './handshake-codec.js';
import {
  encodeCertificate,
  encodeCertificateVerify,
  encodeClientHello,
  HELLO_RETRY_REQUEST_RANDOM,
  parseCertificateMessage,
  parseCertificateVerify,
  parseEncryptedExtensions,
  parseServerHello,
  type ServerHello,
} from './hello-messages.js';
import { createKeyShare, type KeyShare, SUPPORTED_GROUPS } from './key-exchange.js';
import { helloRetryMessageHash, KeySchedule } from './key-schedule.js';
import {
  encodeOfferedPsk,
  encodePskModes,
  fillBinder,
  parseSelectedPsk,
} from './pre-shared-key.js';
import { parseNewSessionTicket, type SessionTicket } from './session-ticket.js';
import {
  SUPPORTED_SIGNATURE_SCHEMES,
  signCertificateVerify,
  verifyCertificateVerify,
} from './signature.js';
import type { ServerIdentity } from './tls-server.js';
import {
  type EncryptionLevel,
  EXTENSION,
  HANDSHAKE_TYPE,
  type TlsCallbacks,
  type TlsHandshake,
} from './tls-types.js';

/** The client side of the handshake. */
export interface TlsClientOptions {
  /** Host name for SNI and certificate checking (IP addresses are checked but not sent). */
  readonly serverName?: string;
  /** Application protocols to offer, preferred first. */
  readonly alpn: readonly string[];
  /** Our encoded quic_transport_parameters. */
  readonly transportParameters: Uint8Array;
  /** PEM trust anchors. Default: node's bundled root certificates. */
  readonly ca?: readonly string[];
  /** Check the server's certificate chain and name. Default true. */
  readonly rejectUnauthorized?: boolean;
  /** Cipher suites to offer, preferred first. Default: all three. */
  readonly cipherSuites?: readonly CipherSuite[];
  /** Groups we support (supported_groups). Default X25519 and P-256. */
  readonly groups?: readonly number[];
  /**
   * Groups to send key shares for in the first ClientHello; the server may ask for another of
   * `groups` with a HelloRetryRequest. Default: all of `groups` (so none is needed).
   */
  readonly keyShares?: readonly number[];
  /** Our certificate (mTLS), sent when the server asks for one; without it we send none. */
  readonly certificate?: ServerIdentity;
  /** Ask for a stapled OCSP response (status_request); it shows up as `ocspResponse`. */
  readonly requestOcsp?: boolean;
  /** A ticket from an earlier connection to resume (ignored when expired or for another server). */
  readonly sessionTicket?: SessionTicket;
  /** Receives each session ticket the server sends after the handshake. */
  readonly onSessionTicket?: (ticket: SessionTicket) => void;
  /** Send 0-RTT data when `sessionTicket` allows it (early_data, RFC 8446 §4.2.10). */
  readonly earlyData?: boolean;
}

type ClientState =
  | 'start'
  | 'wait-server-hello'
  | 'wait-encrypted-extensions'
  | 'wait-certificate'
  | 'wait-certificate-verify'
  | 'wait-finished'
  | 'done';

const EXPECTED: Readonly<Record<ClientState, readonly [EncryptionLevel, number] | undefined>> = {
  start: undefined,
  'wait-server-hello': ['initial', HANDSHAKE_TYPE.SERVER_HELLO],
  'wait-encrypted-extensions': ['handshake', HANDSHAKE_TYPE.ENCRYPTED_EXTENSIONS],
  'wait-certificate': ['handshake', HANDSHAKE_TYPE.CERTIFICATE],
  'wait-certificate-verify': ['handshake', HANDSHAKE_TYPE.CERTIFICATE_VERIFY],
  'wait-finished': ['handshake', HANDSHAKE_TYPE.FINISHED],
  done: undefined,
};

/**
 * A TLS 1.3 client handshake for one QUIC connection: sends a ClientHello with X25519 and P-256
 * key shares, then processes ServerHello, EncryptedExtensions, Certificate, CertificateVerify
 * and Finished, and sends its Finished; after a HelloRetryRequest it sends a second ClientHello
 * with the share asked for. A CertificateRequest is answered with our certificate (or an
 * empty one), and a stapled OCSP response is kept when we asked for one. With a session ticket
 * the ClientHello offers its PSK (psk_dhe_ke); when the server takes it, no certificate
 * follows. Tickets the server sends after the handshake go to `onSessionTicket`. 0-RTT is
 * planned.
 * @see RFC 8446 §4, RFC 9001 §4
 */
export class TlsClient implements TlsHandshake {
  readonly #options: TlsClientOptions;
  readonly #callbacks: TlsCallbacks;
  readonly #framers = {
    initial: new HandshakeFramer(),
    handshake: new HandshakeFramer(),
    application: new HandshakeFramer(),
  };
  #state: ClientState = 'start';
  #shares: KeyShare[] = [];
  #clientHello: Uint8Array | undefined;
  readonly #random = randomBytes(32);
  /** After a HelloRetryRequest: the messages that precede the second ClientHello, and the suite. */
  #retry: { transcript: Uint8Array[]; suite: CipherSuite } | undefined;
  #schedule: KeySchedule | undefined;
  #secrets: { client: Uint8Array; server: Uint8Array } | undefined;
  #leaf: X509Certificate | undefined;
  /** The server's CertificateRequest: the signature schemes it accepts from us. */
  #certificateRequest: readonly number[] | undefined;
  alpn: string | undefined;
  /** The DER OCSP response the server stapled to its certificate, when we asked and it did. */
  ocspResponse: Uint8Array | undefined;
  /** The ticket offered in the ClientHello, and the suite whose hash its binder used. */
  #offeredTicket: { ticket: SessionTicket; suite: CipherSuite } | undefined;
  /** True when the server accepted our ticket: the session resumed without a certificate. */
  isResumed = false;
  /** 0-RTT: offered in the ClientHello, then accepted or rejected by the server. */
  earlyData: 'offered' | 'accepted' | 'rejected' | undefined;
  /** The newest session ticket the server sent. */
  sessionTicket: SessionTicket | undefined;
  /** The server's certificate chain (DER, leaf first). */
  peerCertificates: readonly Uint8Array[] | undefined;
  peerTransportParameters: Uint8Array | undefined;
  suite: CipherSuite | undefined;

  /** Our ClientHello.random (the same in a second ClientHello after HelloRetryRequest). */
  get clientRandom(): Uint8Array {
    return this.#random;
  }

  constructor(options: TlsClientOptions, callbacks: TlsCallbacks) {
    this.#options = options;
    this.#callbacks = callbacks;
  }

  get isComplete(): boolean {
    return this.#state === 'done';
  }

  /** Sends the ClientHello at the Initial level. */
  start(): void {
    const o = this.#options;
    this.#shares = (o.keyShares ?? o.groups ?? SUPPORTED_GROUPS).map(createKeyShare);
    this.#sendClientHello();
  }

  #sendClientHello(): void {
    const o = this.#options;
    const extensions: Array<readonly [number, Uint8Array]> = [];
    if (o.serverName !== undefined && isIP(o.serverName) === 0) {
      extensions.push([EXTENSION.SERVER_NAME, encodeServerName(o.serverName)]);
    }
    if (o.requestOcsp === true) extensions.push([EXTENSION.STATUS_REQUEST, encodeStatusRequest()]);
    extensions.push(
      [EXTENSION.SUPPORTED_GROUPS, encodeU16List(o.groups ?? SUPPORTED_GROUPS, 2)],
      [EXTENSION.SIGNATURE_ALGORITHMS, encodeU16List(SUPPORTED_SIGNATURE_SCHEMES, 2)],
      [EXTENSION.ALPN, encodeAlpn(o.alpn)],
      [EXTENSION.SUPPORTED_VERSIONS, encodeU16List([0x0304], 1)],
      [
        EXTENSION.KEY_SHARE,
        encodeClientKeyShares(this.#shares.map((s) => ({ group: s.group, key: s.publicKey }))),
      ],
      [EXTENSION.QUIC_TRANSPORT_PARAMETERS, o.transportParameters],
    );
    const offered = o.cipherSuites ?? CIPHER_SUITES;
    // Sent in every ClientHello, not only resuming ones: servers issue no NewSessionTicket to a
    // client that did not list a PSK mode it could resume with (BoringSSL, so quiche, does so;
    // RFC 8446 §4.2.9, §4.6.1).
    extensions.push([EXTENSION.PSK_KEY_EXCHANGE_MODES, encodePskModes()]);
    this.#offeredTicket = resumableTicket(o, offered, this.#retry?.suite);
    if (this.#offeredTicket !== undefined) {
      const { ticket, suite } = this.#offeredTicket;
      if (this.#wantsEarlyData(ticket, suite))
        extensions.push([EXTENSION.EARLY_DATA, new Uint8Array(0)]);
      // pre_shared_key must be the last extension (RFC 8446 §4.2.11).
      extensions.push([EXTENSION.PRE_SHARED_KEY, encodeOfferedPsk(pskIdentity(ticket), suite)]);
    }
    this.#clientHello = handshakeMessage(
      HANDSHAKE_TYPE.CLIENT_HELLO,
      encodeClientHello(
        this.#random,
        offered.map((s) => s.code),
        extensions,
      ),
    );
    if (this.#offeredTicket !== undefined) {
      const { ticket, suite } = this.#offeredTicket;
      fillBinder(this.#clientHello, suite, ticket.psk, this.#retry?.transcript ?? []);
      if (this.#wantsEarlyData(ticket, suite)) {
        // 0-RTT keys come from the PSK and this ClientHello (RFC 8446 §7.1 "c e traffic").
        const early = new KeySchedule(suite, ticket.psk);
        early.addMessage(this.#clientHello);
        this.earlyData = 'offered';
        this.#callbacks.installSecret('early', 'write', suite, early.earlyTrafficSecret());
      }
    }
    this.#callbacks.sendHandshake('initial', this.#clientHello);
    this.#state = 'wait-server-hello';
  }

  receive(level: EncryptionLevel, data: Uint8Array): void {
    const framer = this.#framers[level];
    framer.push(data);
    for (let message = framer.next(); message !== undefined; message = framer.next()) {
      if (level === 'application' && this.#state === 'done') {
        if (message.type === HANDSHAKE_TYPE.NEW_SESSION_TICKET) {
          this.#onNewSessionTicket(message.body);
          continue;
        }
      }
      if (
        this.#state === 'wait-certificate' &&
        level === 'handshake' &&
        message.type === HANDSHAKE_TYPE.CERTIFICATE_REQUEST &&
        this.#certificateRequest === undefined
      ) {
        // RFC 8446 §4.3.2: between EncryptedExtensions and the server's Certificate.
        this.#certificateRequest = parseCertificateRequest(message.body).signatureSchemes;
        this.#schedule!.addMessage(message.raw);
        continue;
      }
      const expected = EXPECTED[this.#state];
      if (expected === undefined || expected[0] !== level || expected[1] !== message.type) {
        throw cryptoError(
          TLS_ALERT.UNEXPECTED_MESSAGE,
          `handshake message ${message.type} at the ${level} level in state ${this.#state}`,
        );
      }
      this.#handle(message.type, message.body, message.raw);
    }
  }

  #handle(type: number, body: Uint8Array, raw: Uint8Array): void {
    switch (type) {
      case HANDSHAKE_TYPE.SERVER_HELLO:
        this.#onServerHello(body, raw);
        return;
      case HANDSHAKE_TYPE.ENCRYPTED_EXTENSIONS:
        this.#onEncryptedExtensions(body);
        break;
      case HANDSHAKE_TYPE.CERTIFICATE: {
        const o = this.#options;
        const { chain, leafExtensions } = parseCertificateMessage(body);
        this.#leaf = checkServerChain(chain, o.serverName, o.ca, o.rejectUnauthorized ?? true);
        this.peerCertificates = chain;
        const status = leafExtensions.get(EXTENSION.STATUS_REQUEST);
        if (status !== undefined) {
          if (o.requestOcsp !== true)
            throw cryptoError(
              TLS_ALERT.UNSUPPORTED_EXTENSION,
              'a stapled OCSP response we did not ask for',
            );
          this.ocspResponse = parseCertificateStatus(status);
        }
        this.#state = 'wait-certificate-verify';
        break;
      }
      case HANDSHAKE_TYPE.CERTIFICATE_VERIFY: {
        const { scheme, signature } = parseCertificateVerify(body);
        if (!SUPPORTED_SIGNATURE_SCHEMES.includes(scheme)) {
          throw cryptoError(
            TLS_ALERT.ILLEGAL_PARAMETER,
            `signature scheme 0x${scheme.toString(16)} was not offered`,
          );
        }
        // The signature covers the transcript up to and including the Certificate.
        if (
          !verifyCertificateVerify(
            this.#leaf!.publicKey,
            scheme,
            this.#schedule!.transcriptHash(),
            signature,
          )
        ) {
          throw cryptoError(
            TLS_ALERT.DECRYPT_ERROR,
            'the server CertificateVerify signature does not verify',
          );
        }
        this.#state = 'wait-finished';
        break;
      }
      case HANDSHAKE_TYPE.FINISHED:
        this.#onFinished(body, raw);
        return;
    }
    this.#schedule!.addMessage(raw);
  }

  #onServerHello(body: Uint8Array, raw: Uint8Array): void {
    const hello = parseServerHello(body);
    if (Buffer.compare(hello.random, HELLO_RETRY_REQUEST_RANDOM) === 0) {
      this.#onHelloRetryRequest(hello, raw);
      return;
    }
    if (hello.sessionId.length !== 0)
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        'ServerHello echoes a session id we did not send',
      );
    const offered = this.#options.cipherSuites ?? CIPHER_SUITES;
    const suite = checkSuiteAndVersion(hello, offered);
    if (this.#retry !== undefined && suite !== this.#retry.suite)
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        'the ServerHello changes the cipher suite of the HelloRetryRequest',
      );
    const share = parseServerKeyShare(
      requireExtension(hello.extensions, EXTENSION.KEY_SHARE, 'key_share'),
    );
    const ours = this.#shares.find((s) => s.group === share.group);
    if (ours === undefined)
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        `key share group 0x${share.group.toString(16)} was not offered`,
      );
    const psk = this.#acceptedPsk(hello, suite);
    this.isResumed = psk !== undefined;
    this.suite = suite;
    const schedule = new KeySchedule(suite, psk);
    this.#schedule = schedule;
    for (const message of this.#retry?.transcript ?? []) schedule.addMessage(message);
    schedule.addMessage(this.#clientHello!);
    schedule.addMessage(raw);
    this.#secrets = schedule.handshakeSecrets(ours.sharedSecret(share.key));
    this.#callbacks.installSecret('handshake', 'read', suite, this.#secrets.server);
    this.#callbacks.installSecret('handshake', 'write', suite, this.#secrets.client);
    this.#shares = [];
    this.#state = 'wait-encrypted-extensions';
  }

  /**
   * The server wants a key share for another group (RFC 8446 §4.1.4): one we support and did
   * not send. A second HelloRetryRequest is unexpected_message.
   */
  #onHelloRetryRequest(hello: ServerHello, raw: Uint8Array): void {
    if (this.#retry !== undefined)
      throw cryptoError(TLS_ALERT.UNEXPECTED_MESSAGE, 'a second HelloRetryRequest');
    const suite = checkSuiteAndVersion(hello, this.#options.cipherSuites ?? CIPHER_SUITES);
    const selected = requireExtension(hello.extensions, EXTENSION.KEY_SHARE, 'key_share');
    const group = selected.length === 2 ? (selected[0]! << 8) | selected[1]! : -1;
    const supported = this.#options.groups ?? SUPPORTED_GROUPS;
    if (!supported.includes(group) || this.#shares.some((s) => s.group === group))
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        `the HelloRetryRequest asks for group 0x${group.toString(16)}, which is unsupported or already sent`,
      );
    this.#retry = {
      suite,
      transcript: [helloRetryMessageHash(suite, this.#clientHello!), raw],
    };
    // A HelloRetryRequest rejects early data (RFC 8446 §4.2.10).
    if (this.earlyData === 'offered') this.#rejectEarlyData();
    this.#shares = [createKeyShare(group)];
    this.#sendClientHello();
  }

  #onEncryptedExtensions(body: Uint8Array): void {
    const extensions = parseEncryptedExtensions(body);
    const alpnBody = extensions.get(EXTENSION.ALPN);
    if (alpnBody === undefined)
      throw cryptoError(
        TLS_ALERT.NO_APPLICATION_PROTOCOL,
        'the server selected no application protocol',
      );
    const selected = parseAlpn(alpnBody);
    if (selected.length !== 1 || !this.#options.alpn.includes(selected[0]!)) {
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        'the server selected an application protocol we did not offer',
      );
    }
    this.alpn = selected[0];
    this.peerTransportParameters = requireExtension(
      extensions,
      EXTENSION.QUIC_TRANSPORT_PARAMETERS,
      'quic_transport_parameters',
    );
    for (const type of extensions.keys()) {
      // Only extensions we offered may come back (RFC 8446 §4.2).
      if (
        type === EXTENSION.KEY_SHARE ||
        type === EXTENSION.SUPPORTED_VERSIONS ||
        type === EXTENSION.SIGNATURE_ALGORITHMS
      ) {
        throw cryptoError(
          TLS_ALERT.ILLEGAL_PARAMETER,
          `extension ${type} is not allowed in EncryptedExtensions`,
        );
      }
    }
    if (extensions.has(EXTENSION.EARLY_DATA)) {
      if (this.earlyData !== 'offered' || !this.isResumed)
        throw cryptoError(TLS_ALERT.UNSUPPORTED_EXTENSION, 'early_data we did not offer');
      this.earlyData = 'accepted';
    } else if (this.earlyData === 'offered') {
      this.#rejectEarlyData();
    }
    // A resumed session skips the server's Certificate and CertificateVerify.
    this.#state = this.isResumed ? 'wait-finished' : 'wait-certificate';
  }

  /** Whether to send 0-RTT with `ticket`: asked for, allowed by it, and its exact suite. */
  #wantsEarlyData(ticket: SessionTicket, suite: CipherSuite): boolean {
    return (
      this.#options.earlyData === true &&
      this.#retry === undefined &&
      ticket.maxEarlyData > 0 &&
      ticket.transportParameters !== undefined &&
      suite.code === ticket.cipherSuite
    );
  }

  #rejectEarlyData(): void {
    this.earlyData = 'rejected';
    this.#callbacks.earlyDataRejected?.();
  }

  /** The PSK of our ticket when the ServerHello selects it (RFC 8446 §4.2.11), else undefined. */
  #acceptedPsk(hello: ServerHello, suite: CipherSuite): Uint8Array | undefined {
    const selected = hello.extensions.get(EXTENSION.PRE_SHARED_KEY);
    if (selected === undefined) return undefined;
    const offered = this.#offeredTicket;
    if (offered === undefined || parseSelectedPsk(selected) !== 0)
      throw cryptoError(TLS_ALERT.ILLEGAL_PARAMETER, 'the server selected a PSK we did not offer');
    if (offered.suite.hash !== suite.hash)
      throw cryptoError(
        TLS_ALERT.ILLEGAL_PARAMETER,
        'the server resumed with a cipher suite of another hash',
      );
    return offered.ticket.psk;
  }

  /** A ticket for a later connection (RFC 8446 §4.6.1), its PSK derived from this session. */
  #onNewSessionTicket(body: Uint8Array): void {
    const message = parseNewSessionTicket(body);
    const ticket: SessionTicket = {
      ticket: message.ticket,
      psk: this.#schedule!.resumptionPsk(message.nonce),
      cipherSuite: this.suite!.code,
      ageAdd: message.ageAdd,
      lifetimeS: message.lifetimeS,
      receivedAt: Date.now(),
      serverName: this.#options.serverName,
      alpn: this.alpn!,
      maxEarlyData: message.maxEarlyData,
      transportParameters: this.peerTransportParameters,
    };
    this.sessionTicket = ticket;
    this.#options.onSessionTicket?.(ticket);
  }

  #onFinished(body: Uint8Array, raw: Uint8Array): void {
    const schedule = this.#schedule!;
    const secrets = this.#secrets!;
    if (!schedule.checkFinished(secrets.server, body)) {
      throw cryptoError(
        TLS_ALERT.DECRYPT_ERROR,
        'the server Finished does not match the transcript',
      );
    }
    schedule.addMessage(raw);
    const app = schedule.applicationSecrets();
    const flight: Uint8Array[] = [];
    if (this.#certificateRequest !== undefined) flight.push(...this.#clientCertificate(schedule));
    const finished = handshakeMessage(
      HANDSHAKE_TYPE.FINISHED,
      schedule.finishedVerifyData(secrets.client),
    );
    schedule.addMessage(finished);
    flight.push(finished);
    for (const message of flight) this.#callbacks.sendHandshake('handshake', message);
    this.#callbacks.installSecret('application', 'read', this.suite!, app.server);
    this.#callbacks.installSecret('application', 'write', this.suite!, app.client);
    this.#state = 'done';
  }

  /**
   * Our answer to a CertificateRequest (RFC 8446 §4.4.2): our certificate and a
   * CertificateVerify, or an empty Certificate when we have none the server accepts.
   */
  #clientCertificate(schedule: KeySchedule): Uint8Array[] {
    const ours = this.#options.certificate;
    const accepted = ours !== undefined && this.#certificateRequest!.includes(ours.scheme);
    const certificate = handshakeMessage(
      HANDSHAKE_TYPE.CERTIFICATE,
      encodeCertificate(accepted ? ours.chain : []),
    );
    schedule.addMessage(certificate);
    if (!accepted) return [certificate];
    const signature = signCertificateVerify(
      ours.key,
      ours.scheme,
      schedule.transcriptHash(),
      'client',
    );
    const verify = handshakeMessage(
      HANDSHAKE_TYPE.CERTIFICATE_VERIFY,
      encodeCertificateVerify(ours.scheme, signature),
    );
    schedule.addMessage(verify);
    return [certificate, verify];
  }
}

/**
 * The ticket to offer and the suite of its hash, when it is unexpired, for this server name
 * and one of our ALPN protocols, and its suite is offered (and, after a HelloRetryRequest,
 * has the hash of the suite the server chose there).
 */
function resumableTicket(
  o: TlsClientOptions,
  offered: readonly CipherSuite[],
  retrySuite: CipherSuite | undefined,
): { ticket: SessionTicket; suite: CipherSuite } | undefined {
  const ticket = o.sessionTicket;
  if (ticket === undefined) return undefined;
  const suite = offered.find((s) => s.code === ticket.cipherSuite);
  const age = Date.now() - ticket.receivedAt;
  if (
    suite === undefined ||
    (retrySuite !== undefined && retrySuite.hash !== suite.hash) ||
    age < 0 ||
    age >= ticket.lifetimeS * 1000 ||
    ticket.serverName !== o.serverName ||
    !o.alpn.includes(ticket.alpn)
  )
    return undefined;
  return { ticket, suite };
}

/** Our identity for `ticket`: the ticket and its age in milliseconds, obfuscated. */
function pskIdentity(ticket: SessionTicket): { identity: Uint8Array; obfuscatedAge: number } {
  const age = Date.now() - ticket.receivedAt;
  return { identity: ticket.ticket, obfuscatedAge: (age + ticket.ageAdd) >>> 0 };
}

/** The ServerHello's (or HelloRetryRequest's) cipher suite, which we must have offered, and TLS 1.3. */
function checkSuiteAndVersion(hello: ServerHello, offered: readonly CipherSuite[]): CipherSuite {
  const suite = offered.find((s) => s.code === hello.cipherSuite);
  if (suite === undefined)
    throw cryptoError(
      TLS_ALERT.ILLEGAL_PARAMETER,
      `cipher suite 0x${hello.cipherSuite.toString(16)} was not offered`,
    );
  const versions = requireExtension(
    hello.extensions,
    EXTENSION.SUPPORTED_VERSIONS,
    'supported_versions',
  );
  if (versions.length !== 2 || versions[0] !== 0x03 || versions[1] !== 0x04)
    throw cryptoError(TLS_ALERT.ILLEGAL_PARAMETER, 'the server did not select TLS 1.3');
  return suite;
}
