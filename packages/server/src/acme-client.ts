/**
 * An ACME client (RFC 8555): directory, nonces, account, orders, authorizations, challenge
 * responses, finalization and certificate download. It speaks the protocol only; where the
 * challenge answers are served and where keys and certificates are kept is the business of
 * `AcmeManager`.
 */
import type { KeyObject } from 'node:crypto';
import { AcmeError, type AcmeProblem, describeProblem } from './acme-error.js';
import { ERROR_CODES } from './errors.js';
import { type AcmeHttpResponse, acmeHttp } from './internal/acme/http.js';
import { b64url, jwkThumbprint, signJws } from './internal/acme/jws.js';

/** Let's Encrypt's production directory. */
export const LETS_ENCRYPT_DIRECTORY = 'https://acme-v02.api.letsencrypt.org/directory';
/** Let's Encrypt's staging directory (untrusted certificates, generous rate limits). */
export const LETS_ENCRYPT_STAGING_DIRECTORY =
  'https://acme-staging-v02.api.letsencrypt.org/directory';

/** The directory object (RFC 8555 §7.1.1). */
export interface AcmeDirectory {
  readonly newNonce: string;
  readonly newAccount: string;
  readonly newOrder: string;
  readonly revokeCert?: string | undefined;
  readonly keyChange?: string | undefined;
  readonly meta?: { readonly termsOfService?: string | undefined } | undefined;
}

/** A challenge object (RFC 8555 §8). */
export interface AcmeChallenge {
  readonly type: string;
  readonly url: string;
  readonly status: string;
  readonly token: string;
  readonly error?: AcmeProblem | undefined;
}

/** An authorization object (RFC 8555 §7.1.4). */
export interface AcmeAuthorization {
  readonly identifier: { readonly type: string; readonly value: string };
  readonly status: string;
  readonly challenges: readonly AcmeChallenge[];
  readonly wildcard?: boolean | undefined;
}

/** An order object (RFC 8555 §7.1.3) and its URL. */
export interface AcmeOrder {
  readonly url: string;
  readonly status: string;
  readonly authorizations: readonly string[];
  readonly finalize: string;
  readonly certificate?: string | undefined;
  readonly error?: AcmeProblem | undefined;
}

/** Options of `AcmeClient`. */
export interface AcmeClientOptions {
  /** The CA's directory URL. */
  directoryUrl: string;
  /** The account's private key: EC P-256 (ES256, the default everywhere) or P-384 (ES384). */
  accountKey: KeyObject;
  /** Extra trust anchors (PEM) for the CA's HTTPS endpoint, e.g. a test CA's root. */
  ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /** Per-request timeout. Default 30 000 ms. */
  timeoutMs?: number | undefined;
  /** How often a request rejected with `badNonce` is retried with a fresh nonce. Default 10. */
  badNonceRetries?: number | undefined;
  /** Aborts every request in flight and every later one (e.g. when the owner closes). */
  signal?: AbortSignal | undefined;
}

const BAD_NONCE = 'urn:ietf:params:acme:error:badNonce';

function header(res: AcmeHttpResponse, name: string): string | null {
  const value = res.headers[name];
  return typeof value === 'string' ? value : null;
}

function parseProblem(res: AcmeHttpResponse): AcmeProblem | null {
  try {
    const doc = JSON.parse(res.body.toString('utf8')) as AcmeProblem;
    return typeof doc?.type === 'string' ? doc : null;
  } catch {
    return null;
  }
}

/** A client for one ACME account at one CA. Create it, then call `account()` first. */
export class AcmeClient {
  readonly #options: AcmeClientOptions;
  readonly #timeoutMs: number;
  #directory: AcmeDirectory | null = null;
  #nonces: string[] = [];
  #kid: string | null = null;

  constructor(options: AcmeClientOptions) {
    this.#options = options;
    this.#timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** The account URL once `account()` ran, else null. */
  get accountUrl(): string | null {
    return this.#kid;
  }

  /** `token.thumbprint`, the key authorization of a challenge (RFC 8555 §8.1). */
  keyAuthorization(token: string): string {
    return `${token}.${jwkThumbprint(this.#options.accountKey)}`;
  }

  /** Fetches (once) and returns the directory. */
  async directory(): Promise<AcmeDirectory> {
    if (this.#directory !== null) return this.#directory;
    const url = this.#options.directoryUrl;
    const res = await this.#http(url, { method: 'GET' });
    if (res.status !== 200) throw this.#problemError(url, res);
    const dir = this.#json(url, res) as AcmeDirectory;
    if (typeof dir.newNonce !== 'string' || typeof dir.newAccount !== 'string') {
      throw new AcmeError(ERROR_CODES.ACME_PROBLEM, `${url} is not an ACME directory`);
    }
    this.#directory = dir;
    return dir;
  }

  /**
   * Creates the account for the key, or finds the existing one (the CA answers 200 with its
   * URL, RFC 8555 §7.3.1). Agreeing to the CA's terms of service is part of using it.
   */
  async account(options: { email?: string | null | undefined } = {}): Promise<string> {
    const dir = await this.directory();
    const payload: Record<string, unknown> = { termsOfServiceAgreed: true };
    if (options.email != null && options.email.length > 0) {
      payload['contact'] = [`mailto:${options.email}`];
    }
    const res = await this.#post(dir.newAccount, payload, true);
    const location = header(res, 'location');
    if (location === null) {
      throw new AcmeError(ERROR_CODES.ACME_PROBLEM, `${dir.newAccount} returned no account URL`);
    }
    this.#kid = location;
    return location;
  }

  /** Places an order for `domains` (RFC 8555 §7.4). */
  async newOrder(domains: readonly string[]): Promise<AcmeOrder> {
    const dir = await this.directory();
    const identifiers = domains.map((value) => ({ type: 'dns', value }));
    const res = await this.#post(dir.newOrder, { identifiers });
    const url = header(res, 'location');
    if (url === null) {
      throw new AcmeError(ERROR_CODES.ACME_PROBLEM, `${dir.newOrder} returned no order URL`);
    }
    return { ...(this.#json(dir.newOrder, res) as Omit<AcmeOrder, 'url'>), url };
  }

  /** The order's current state (POST-as-GET). */
  async order(url: string): Promise<AcmeOrder> {
    const res = await this.#post(url, null);
    return { ...(this.#json(url, res) as Omit<AcmeOrder, 'url'>), url };
  }

  /** An authorization's current state (POST-as-GET). */
  async authorization(url: string): Promise<AcmeAuthorization> {
    const res = await this.#post(url, null);
    return this.#json(url, res) as AcmeAuthorization;
  }

  /** Tells the CA the challenge is ready to be validated (RFC 8555 §7.5.1). */
  async respond(challengeUrl: string): Promise<AcmeChallenge> {
    const res = await this.#post(challengeUrl, {});
    return this.#json(challengeUrl, res) as AcmeChallenge;
  }

  /** Sends the CSR (DER) to the order's finalize URL (RFC 8555 §7.4). */
  async finalize(order: AcmeOrder, csrDer: Uint8Array): Promise<AcmeOrder> {
    const res = await this.#post(order.finalize, { csr: b64url(csrDer) });
    return { ...(this.#json(order.finalize, res) as Omit<AcmeOrder, 'url'>), url: order.url };
  }

  /** Downloads the issued chain as PEM, leaf first (RFC 8555 §7.4.2). */
  async certificate(url: string): Promise<string> {
    const res = await this.#post(url, null, false, 'application/pem-certificate-chain');
    const pem = res.body.toString('utf8');
    if (!pem.includes('-----BEGIN CERTIFICATE-----')) {
      throw new AcmeError(ERROR_CODES.ACME_PROBLEM, `${url} did not return a PEM chain`);
    }
    return pem;
  }

  /** Seconds to wait before polling again, from `Retry-After` (RFC 8555 §8.2), else null. */
  static retryAfterMs(value: string | null): number | null {
    if (value === null) return null;
    const seconds = Number(value);
    if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
    const date = Date.parse(value);
    return Number.isNaN(date) ? null : Math.max(0, date - Date.now());
  }

  // ----------------------------------------------------------------- internals

  #http(
    url: string,
    options: { method: 'GET' | 'HEAD' | 'POST'; headers?: Record<string, string>; body?: string },
  ): Promise<AcmeHttpResponse> {
    return acmeHttp(url, {
      ...options,
      ca: this.#options.ca,
      timeoutMs: this.#timeoutMs,
      signal: this.#options.signal,
    }).then(
      (res) => {
        const nonce = header(res, 'replay-nonce');
        if (nonce !== null) this.#nonces.push(nonce);
        return res;
      },
      (err: unknown) => {
        const reason = err instanceof Error ? err.message : String(err);
        throw new AcmeError(
          ERROR_CODES.ACME_PROBLEM,
          `cannot reach ACME server ${url}: ${reason}`,
          {
            cause: err,
          },
        );
      },
    );
  }

  async #nonce(): Promise<string> {
    const saved = this.#nonces.pop();
    if (saved !== undefined) return saved;
    const dir = await this.directory();
    const res = await this.#http(dir.newNonce, { method: 'HEAD' });
    const nonce = this.#nonces.pop();
    if (nonce === undefined) throw this.#problemError(dir.newNonce, res);
    return nonce;
  }

  /**
   * A signed POST; a `badNonce` rejection is retried with the nonce that came with it
   * (RFC 8555 §6.5: clients should retry). Non-2xx answers throw `RWS_SERVER_ACME_PROBLEM`.
   */
  async #post(
    url: string,
    payload: unknown,
    useJwk = false,
    accept?: string,
  ): Promise<AcmeHttpResponse> {
    const retries = this.#options.badNonceRetries ?? 10;
    for (let attempt = 0; ; attempt++) {
      const kid = useJwk ? null : this.#kid;
      if (!useJwk && kid === null) {
        throw new AcmeError(ERROR_CODES.ACME_PROBLEM, 'call account() before other ACME requests');
      }
      const body = signJws(this.#options.accountKey, url, await this.#nonce(), kid, payload);
      const headers: Record<string, string> = { 'content-type': 'application/jose+json' };
      if (accept !== undefined) headers['accept'] = accept;
      const res = await this.#http(url, { method: 'POST', headers, body });
      if (res.status >= 200 && res.status < 300) return res;
      const problem = parseProblem(res);
      if (problem?.type === BAD_NONCE && attempt < retries) continue;
      throw this.#problemError(url, res, problem);
    }
  }

  #json(url: string, res: AcmeHttpResponse): unknown {
    try {
      return JSON.parse(res.body.toString('utf8'));
    } catch (err) {
      throw new AcmeError(ERROR_CODES.ACME_PROBLEM, `${url} returned invalid JSON`, { cause: err });
    }
  }

  #problemError(url: string, res: AcmeHttpResponse, problem = parseProblem(res)): AcmeError {
    const what =
      problem === null ? `HTTP ${res.status}` : `${res.status} ${describeProblem(problem)}`;
    return new AcmeError(ERROR_CODES.ACME_PROBLEM, `ACME server ${url} answered ${what}`, {
      problem,
    });
  }
}
