import { createHash, createHmac, type Hash, timingSafeEqual } from 'node:crypto';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { emptyHash, hashLength, hkdfExpandLabel, hkdfExtract } from '../crypto/hkdf.js';

/**
 * The TLS 1.3 key schedule: early secret (from a resumption PSK, or zeros), handshake secret
 * from the (EC)DHE shared secret, master secret, the four traffic secrets QUIC turns into
 * packet keys, and the resumption master secret tickets derive their PSKs from.
 * The transcript hash runs over every handshake message in order.
 * @see RFC 8446 §7.1, §4.4.1, §4.6.1
 */
export class KeySchedule {
  readonly suite: CipherSuite;
  readonly #transcript: Hash;
  readonly #earlySecret: Uint8Array;
  #handshakeSecret: Uint8Array | undefined;
  #masterSecret: Uint8Array | undefined;

  /** `psk`: the resumption PSK of the ticket the server accepted (psk_dhe_ke); none otherwise. */
  constructor(suite: CipherSuite, psk?: Uint8Array) {
    this.suite = suite;
    this.#transcript = createHash(suite.hash);
    const zeros = new Uint8Array(hashLength(suite.hash));
    this.#earlySecret = hkdfExtract(suite.hash, zeros, psk ?? zeros);
  }

  /** The binder_key of a resumption PSK (RFC 8446 §7.1 "res binder"). */
  binderKey(): Uint8Array {
    return this.#deriveSecret(this.#earlySecret, 'res binder', emptyHash(this.suite.hash));
  }

  /** The client_early_traffic_secret (0-RTT keys); call with the ClientHello added last. */
  earlyTrafficSecret(context: Uint8Array = this.transcriptHash()): Uint8Array {
    return this.#deriveSecret(this.#earlySecret, 'c e traffic', context);
  }

  /**
   * After the client Finished was added: the resumption_master_secret, from which each
   * NewSessionTicket's PSK is derived with its nonce.
   */
  resumptionPsk(nonce: Uint8Array): Uint8Array {
    if (this.#masterSecret === undefined)
      throw new Error('resumptionPsk() before applicationSecrets()');
    const hash = this.suite.hash;
    const resumption = this.#deriveSecret(this.#masterSecret, 'res master', this.transcriptHash());
    return hkdfExpandLabel(hash, resumption, 'resumption', nonce, hashLength(hash));
  }

  /** Appends a whole handshake message (with its 4-byte header) to the transcript. */
  addMessage(message: Uint8Array): void {
    this.#transcript.update(message);
  }

  /** Transcript-Hash of the messages added so far. */
  transcriptHash(): Uint8Array {
    return this.#transcript.copy().digest();
  }

  #deriveSecret(secret: Uint8Array, label: string, context: Uint8Array): Uint8Array {
    return hkdfExpandLabel(this.suite.hash, secret, label, context, hashLength(this.suite.hash));
  }

  /**
   * After ServerHello: mixes in the shared secret; returns the client and server handshake
   * traffic secrets. `context` defaults to the transcript hash so far (through ServerHello).
   */
  handshakeSecrets(
    sharedSecret: Uint8Array,
    context: Uint8Array = this.transcriptHash(),
  ): { client: Uint8Array; server: Uint8Array } {
    const hash = this.suite.hash;
    const derived = this.#deriveSecret(this.#earlySecret, 'derived', emptyHash(hash));
    this.#handshakeSecret = hkdfExtract(hash, derived, sharedSecret);
    return {
      client: this.#deriveSecret(this.#handshakeSecret, 'c hs traffic', context),
      server: this.#deriveSecret(this.#handshakeSecret, 's hs traffic', context),
    };
  }

  /** After the server Finished: the client and server application traffic secrets. */
  applicationSecrets(context: Uint8Array = this.transcriptHash()): {
    client: Uint8Array;
    server: Uint8Array;
  } {
    const hash = this.suite.hash;
    if (this.#handshakeSecret === undefined)
      throw new Error('applicationSecrets() before handshakeSecrets()');
    const derived = this.#deriveSecret(this.#handshakeSecret, 'derived', emptyHash(hash));
    const master = hkdfExtract(hash, derived, new Uint8Array(hashLength(hash)));
    this.#masterSecret = master;
    return {
      client: this.#deriveSecret(master, 'c ap traffic', context),
      server: this.#deriveSecret(master, 's ap traffic', context),
    };
  }

  /** verify_data for a Finished sent with `baseKey` (a handshake traffic secret). */
  finishedVerifyData(baseKey: Uint8Array, context: Uint8Array = this.transcriptHash()): Uint8Array {
    const hash = this.suite.hash;
    const finishedKey = hkdfExpandLabel(
      hash,
      baseKey,
      'finished',
      new Uint8Array(0),
      hashLength(hash),
    );
    return createHmac(hash, finishedKey).update(context).digest();
  }

  /** Whether a received Finished matches (constant time). */
  checkFinished(baseKey: Uint8Array, verifyData: Uint8Array): boolean {
    const expected = this.finishedVerifyData(baseKey);
    return expected.length === verifyData.length && timingSafeEqual(expected, verifyData);
  }
}

/**
 * The synthetic message that replaces ClientHello1 in the transcript after a
 * HelloRetryRequest: message_hash, then Hash(ClientHello1).
 * @see RFC 8446 §4.4.1
 */
export function helloRetryMessageHash(suite: CipherSuite, clientHello: Uint8Array): Uint8Array {
  const digest = createHash(suite.hash).update(clientHello).digest();
  const out = new Uint8Array(4 + digest.length);
  out.set([254, 0, 0, digest.length]);
  out.set(digest, 4);
  return out;
}
