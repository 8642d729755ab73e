import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';

/** How long a Retry token is accepted: one round trip is all it needs (RFC 9000 §8.1.3). */
const RETRY_TOKEN_LIFETIME_MS = 10_000;
const KIND_RETRY = 1;
const KIND_NEW_TOKEN = 2;
const NONCE = 12;
const TAG = 16;

/** What a valid token vouches for. */
export type TokenClaim =
  | {
      readonly kind: 'retry';
      /** The DCID of the client's first Initial, for original_destination_connection_id. */
      readonly originalDcid: Uint8Array;
      /** The SCID of our Retry, for retry_source_connection_id. */
      readonly retrySourceCid: Uint8Array;
    }
  | { readonly kind: 'new-token' };

/**
 * Address validation tokens (RFC 9000 §8.1): a Retry token or a NEW_TOKEN token is the issue
 * time and, for Retry, the connection IDs the server needs later, sealed with AES-256-GCM under
 * a key only this endpoint knows. The client's address (and, for Retry, its port) is the
 * associated data, so a token presented from elsewhere does not open; a NEW_TOKEN token is not
 * bound to the port, which a client's next connection rarely keeps. Nothing is stored per token.
 */
export class AddressTokens {
  // A KeyObject: raw bytes make node 24's createCipheriv build and drop two TypeErrors per call.
  readonly #key: KeyObject;
  readonly #newTokenLifetimeMs: number;

  constructor(newTokenLifetimeMs: number, key: Uint8Array = randomBytes(32)) {
    this.#key = createSecretKey(key);
    this.#newTokenLifetimeMs = newTokenLifetimeMs;
  }

  /** A token for a Retry packet sent to `address`. */
  issueRetry(
    host: string,
    port: number,
    originalDcid: Uint8Array,
    retrySourceCid: Uint8Array,
    now: number,
  ): Uint8Array {
    const body = new Uint8Array(2 + originalDcid.length + retrySourceCid.length);
    body[0] = originalDcid.length;
    body.set(originalDcid, 1);
    body[1 + originalDcid.length] = retrySourceCid.length;
    body.set(retrySourceCid, 2 + originalDcid.length);
    return this.#seal(KIND_RETRY, `${host} ${port}`, now, body);
  }

  /** A token for a NEW_TOKEN frame, for the client's next connection from `host`. */
  issueNewToken(host: string, now: number): Uint8Array {
    return this.#seal(KIND_NEW_TOKEN, host, now, new Uint8Array(0));
  }

  /** What `token` vouches for when presented from `host`:`port`, or undefined (forged, expired, moved). */
  validate(token: Uint8Array, host: string, port: number, now: number): TokenClaim | undefined {
    if (token.length < 1 + NONCE + 8 + TAG) return undefined;
    const kind = token[0]!;
    const address = kind === KIND_RETRY ? `${host} ${port}` : host;
    const decipher = createDecipheriv('aes-256-gcm', this.#key, token.subarray(1, 1 + NONCE));
    decipher.setAAD(additionalData(kind, address));
    decipher.setAuthTag(token.subarray(token.length - TAG));
    let plain: Buffer;
    try {
      plain = Buffer.concat([
        decipher.update(token.subarray(1 + NONCE, token.length - TAG)),
        decipher.final(),
      ]);
    } catch {
      return undefined;
    }
    const age = now - plain.readDoubleBE(0);
    const lifetime = kind === KIND_RETRY ? RETRY_TOKEN_LIFETIME_MS : this.#newTokenLifetimeMs;
    if (age < 0 || age > lifetime) return undefined;
    if (kind === KIND_NEW_TOKEN) return { kind: 'new-token' };
    const odcidLength = plain[8];
    if (odcidLength === undefined || 10 + odcidLength > plain.length) return undefined;
    const rscidLength = plain[9 + odcidLength]!;
    if (10 + odcidLength + rscidLength !== plain.length) return undefined;
    return {
      kind: 'retry',
      originalDcid: new Uint8Array(plain.subarray(9, 9 + odcidLength)),
      retrySourceCid: new Uint8Array(plain.subarray(10 + odcidLength)),
    };
  }

  #seal(kind: number, address: string, now: number, body: Uint8Array): Uint8Array {
    const nonce = randomBytes(NONCE);
    const cipher = createCipheriv('aes-256-gcm', this.#key, nonce);
    cipher.setAAD(additionalData(kind, address));
    const time = Buffer.alloc(8);
    time.writeDoubleBE(now);
    const sealed = Buffer.concat([cipher.update(time), cipher.update(body), cipher.final()]);
    return new Uint8Array(Buffer.concat([Buffer.of(kind), nonce, sealed, cipher.getAuthTag()]));
  }
}

function additionalData(kind: number, address: string): Buffer {
  return Buffer.from(`${kind} ${address}`);
}
