/**
 * Keeps a certificate for a list of domains: loads it from a `CertificateStore`, orders it
 * from an ACME CA when it is missing or due (HTTP-01 or TLS-ALPN-01, answered by the server it
 * is attached to), stores it, and hands it to the server without a restart. Renewal runs
 * `renewBeforeDays` before expiry with jitter; a failure is retried with back-off while the
 * old certificate keeps being served. Instances sharing a store take a lock before ordering.
 */
import {
  createHash,
  createPrivateKey,
  generateKeyPairSync,
  type KeyObject,
  X509Certificate,
} from 'node:crypto';
import { createSecureContext, type SecureContext } from 'node:tls';
import { RwsError } from '@rws/core';
import {
  AcmeClient,
  LETS_ENCRYPT_DIRECTORY,
  LETS_ENCRYPT_STAGING_DIRECTORY,
} from './acme-client.js';
import type { CertificateStore, StoredCertificate } from './certificate-store.js';
import { ERROR_CODES } from './errors.js';
import {
  type CertificateKeyType,
  type ChallengeSolver,
  type ChallengeType,
  generateCertificateKey,
  issueCertificate,
} from './internal/acme/issue.js';
import { createSelfSignedCertificate } from './internal/acme/x509.js';
import { createDirectoryStore } from './stores/directory.js';

export type { CertificateKeyType, ChallengeType };

/** Options of `AcmeManager`. */
export interface AcmeOptions {
  /**
   * DNS names on the certificate (the first names it in the store). Wildcards (`*.example.com`)
   * need DNS-01, so a `dnsProvider`.
   */
  domains: readonly string[];
  /** Where the account key and certificates live: a `CertificateStore`, or a directory path. */
  store: CertificateStore | string;
  /** Contact address given to the CA (expiry notices). */
  email?: string | undefined;
  /** The CA's directory URL. Default Let's Encrypt production (staging with `staging`). */
  directoryUrl?: string | undefined;
  /** Use Let's Encrypt's staging directory when no `directoryUrl` is given. */
  staging?: boolean | undefined;
  /** Extra trust anchors (PEM) for the CA's HTTPS endpoint (a private or test CA). */
  ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  /**
   * Challenge types in order of preference. Default `['http-01', 'tls-alpn-01']`, or
   * `['dns-01']` with a `dnsProvider`. After a failed attempt the next one leads, so a blocked
   * port 80 falls back to TLS-ALPN-01.
   */
  challenges?: readonly ChallengeType[] | undefined;
  /** Publishes DNS-01 TXT records (RFC 8555 §8.4) in your DNS; needed for `dns-01` and wildcards. */
  dnsProvider?: DnsProvider | undefined;
  /** Wait this long after publishing a TXT record before asking the CA to look. Default 0. */
  dnsPropagationDelayMs?: number | undefined;
  /** Key of the certificate. Default `'ec-p256'` (ECDSA P-256). */
  keyType?: CertificateKeyType | undefined;
  /** Renew this many days before expiry (fractions allowed). Default 30. */
  renewBeforeDays?: number | undefined;
  /** First retry delay after a failure, doubling up to `retryMaxMs`. Default 60 000 ms. */
  retryMinMs?: number | undefined;
  /** Longest retry delay. Default 6 hours. */
  retryMaxMs?: number | undefined;
  /** How long the order lock lasts if its holder dies. Default 10 minutes. */
  lockTtlMs?: number | undefined;
  /** When another instance holds the lock, look at the store again after this. Default 10 000 ms. */
  lockRetryMs?: number | undefined;
  /** Longest wait for the CA to validate and issue. Default 120 000 ms. */
  pollTimeoutMs?: number | undefined;
  /** Called after each certificate is put into service (issued here, or found in the store). */
  onCertificate?: ((info: AcmeCertificateInfo) => void) | undefined;
}

/**
 * Sets and removes the TXT records of DNS-01 challenges, e.g. over a DNS host's HTTP API.
 * `fqdn` is `_acme-challenge.<domain>` without a trailing dot; `value` the record's text.
 * `setTxtRecord` should resolve once the record is published (or see `dnsPropagationDelayMs`).
 */
export interface DnsProvider {
  readonly name: string;
  setTxtRecord(fqdn: string, value: string): Promise<void>;
  removeTxtRecord(fqdn: string, value: string): Promise<void>;
}

/** What `onCertificate` reports. */
export interface AcmeCertificateInfo {
  readonly domains: readonly string[];
  readonly notAfter: Date;
  /** SHA-256 fingerprint of the leaf (`AA:BB:…`), as `X509Certificate#fingerprint256`. */
  readonly fingerprint256: string;
  /** True when this instance ordered it; false when it came from the store. */
  readonly isIssued: boolean;
}

/** What the manager needs from the server it serves challenges on. */
export interface AcmeHost {
  /** Rebuilds the TLS contexts; the manager's `certificate` is read during it. */
  reloadCertificates(): Promise<void>;
  onLog(message: string): void;
  onError(err: unknown): void;
}

const DAY_MS = 86_400_000;
/** setTimeout's longest delay; longer waits re-check. */
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Current {
  readonly pem: StoredCertificate;
  readonly notAfter: number;
  readonly renewAt: number;
  readonly isPlaceholder: boolean;
}

function invalid(message: string): RwsError {
  return new RwsError(ERROR_CODES.INVALID_OPTIONS, `invalid acme options: ${message}`);
}

function isDnsName(name: unknown): name is string {
  return (
    typeof name === 'string' &&
    name.length > 0 &&
    name.length <= 253 &&
    name.split('.').every((label) => /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i.test(label))
  );
}

/** The TXT record text of a DNS-01 challenge: base64url(SHA-256(key authorization)), §8.4. */
function dns01Value(keyAuthorization: string): string {
  return createHash('sha256').update(keyAuthorization).digest('base64url');
}

/** A file-name-safe name for the certificate in the store. */
function storeName(domain: string): string {
  return domain.toLowerCase().replace(/[^a-z0-9.-]/g, '_');
}

/**
 * Obtains and renews one certificate with ACME. Pass it as `serve(app, { acme })`: the server
 * answers the challenges, serves the certificate for its domains (and as the default one when
 * no `tlsCertFile` is given), and starts and stops the manager with itself.
 */
export class AcmeManager implements ChallengeSolver {
  readonly domains: readonly string[];
  readonly #options: AcmeOptions;
  readonly #store: CertificateStore;
  readonly #name: string;
  readonly #renewBeforeMs: number;
  #current: Current | null = null;
  #http01 = new Map<string, string>();
  #alpn = new Map<string, SecureContext>();
  /** DNS-01 TXT values published, by `domain\ntoken`, for their removal. */
  #dns01 = new Map<string, string>();
  #client: AcmeClient | null = null;
  #host: AcmeHost | null = null;
  #timer: NodeJS.Timeout | null = null;
  #failures = 0;
  #running: Promise<void> | null = null;
  #abort = new AbortController();

  constructor(options: AcmeOptions) {
    const domains = options.domains;
    if (!Array.isArray(domains) || domains.length === 0)
      throw invalid('domains: list at least one DNS name');
    const challenges = options.challenges ?? (options.dnsProvider ? ['dns-01'] : []);
    const hasDns01 = challenges.includes('dns-01');
    domains.forEach((d: unknown, i: number) => {
      const isWildcard = typeof d === 'string' && d.startsWith('*.');
      if (!isDnsName(isWildcard ? d.slice(2) : d))
        throw invalid(`domains[${i}]: ${JSON.stringify(d)} is not a DNS name`);
      if (isWildcard && !hasDns01)
        throw invalid(`domains[${i}]: ${d} is a wildcard, which needs dns-01 and a dnsProvider`);
    });
    if (hasDns01 && options.dnsProvider === undefined) {
      throw invalid('challenges: dns-01 needs a dnsProvider');
    }
    const renewBeforeDays = options.renewBeforeDays ?? 30;
    if (typeof renewBeforeDays !== 'number' || !(renewBeforeDays > 0)) {
      throw invalid('renewBeforeDays: must be a number > 0');
    }
    for (const type of options.challenges ?? []) {
      if (type !== 'http-01' && type !== 'tls-alpn-01' && type !== 'dns-01') {
        throw invalid(`challenges: ${String(type)} is not http-01, tls-alpn-01 or dns-01`);
      }
    }
    if (options.challenges !== undefined && options.challenges.length === 0) {
      throw invalid('challenges: list at least one challenge type');
    }
    this.domains = domains.map((d) => d.toLowerCase());
    this.#options = options;
    this.#renewBeforeMs = renewBeforeDays * DAY_MS;
    this.#store =
      typeof options.store === 'string'
        ? createDirectoryStore({ directory: options.store })
        : options.store;
    this.#name = storeName(this.domains[0] as string);
  }

  /** The certificate in service (PEM), or null before `prepare()`. */
  get certificate(): StoredCertificate | null {
    return this.#current?.pem ?? null;
  }

  /** True while the in-service certificate is the self-signed stand-in used until the first issuance. */
  get isPlaceholder(): boolean {
    return this.#current?.isPlaceholder ?? true;
  }

  /** The HTTP-01 key authorization for `token`, or null (RFC 8555 §8.3). */
  http01Response(token: string): string | null {
    return this.#http01.get(token) ?? null;
  }

  /** The TLS-ALPN-01 validation context for `servername`, or null (RFC 8737 §3). */
  alpnContext(servername: string): SecureContext | null {
    return this.#alpn.get(servername.toLowerCase()) ?? null;
  }

  /** @internal ChallengeSolver: publishes an answer where the CA will look. */
  async present(
    type: ChallengeType,
    domain: string,
    token: string,
    keyAuthorization: string,
  ): Promise<void> {
    if (type === 'http-01') this.#http01.set(token, keyAuthorization);
    else if (type === 'dns-01') {
      const provider = this.#options.dnsProvider as DnsProvider;
      const value = dns01Value(keyAuthorization);
      this.#dns01.set(`${domain}\n${token}`, value);
      await provider.setTxtRecord(`_acme-challenge.${domain}`, value);
      const delay = this.#options.dnsPropagationDelayMs ?? 0;
      if (delay > 0) await new Promise((resolve) => setTimeout(resolve, delay));
    } else {
      const { privateKey, publicKey } = generateCertificateKey('ec-p256');
      const cert = createSelfSignedCertificate(domain, keyAuthorization, privateKey, publicKey);
      const key = privateKey.export({ type: 'pkcs8', format: 'pem' });
      this.#alpn.set(domain.toLowerCase(), createSecureContext({ cert, key }));
    }
  }

  /** @internal ChallengeSolver: withdraws an answer. */
  async cleanup(type: ChallengeType, domain: string, token: string): Promise<void> {
    if (type === 'http-01') this.#http01.delete(token);
    else if (type === 'dns-01') {
      const key = `${domain}\n${token}`;
      const value = this.#dns01.get(key);
      this.#dns01.delete(key);
      if (value !== undefined) {
        await this.#options.dnsProvider?.removeTxtRecord(`_acme-challenge.${domain}`, value);
      }
    } else this.#alpn.delete(domain.toLowerCase());
  }

  /**
   * Loads the stored certificate, or puts a self-signed stand-in in service so the TLS
   * listener can start (and answer TLS-ALPN-01) before the first issuance.
   */
  async prepare(): Promise<void> {
    if (this.#current !== null) return;
    const stored = await this.#store.loadCertificate(this.#name);
    const loaded = stored === null ? null : this.#inspect(stored);
    if (loaded !== null) {
      this.#current = loaded;
      return;
    }
    const { privateKey, publicKey } = generateCertificateKey('ec-p256');
    const certPem = createSelfSignedCertificate(
      this.domains[0] as string,
      null,
      privateKey,
      publicKey,
    );
    const keyPem = privateKey.export({ type: 'pkcs8', format: 'pem' }) as string;
    this.#current = { pem: { certPem, keyPem }, notAfter: 0, renewAt: 0, isPlaceholder: true };
  }

  /** Starts the renewal loop for `host` (the server calls this once it listens). */
  start(host: AcmeHost): void {
    this.#host = host;
    this.#schedule(0);
  }

  /**
   * Orders a certificate now, whether or not one is due, and puts it in service. Rejects with
   * the `AcmeError` of a failure (the running certificate stays).
   */
  async renewNow(): Promise<void> {
    await this.#runExclusive(true);
  }

  /** Stops the renewal loop and any order in progress. */
  async close(): Promise<void> {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    this.#host = null;
    this.#abort.abort(new RwsError(ERROR_CODES.CLOSED, 'ACME manager closed'));
    await this.#running?.catch(() => {});
    await this.#store.close();
  }

  // ----------------------------------------------------------------- internals

  /** Parses a stored pair; null when it is unusable or does not cover every domain. */
  #inspect(pem: StoredCertificate): Current | null {
    try {
      const leaf = new X509Certificate(pem.certPem);
      createSecureContext({ cert: pem.certPem, key: pem.keyPem });
      const names = (leaf.subjectAltName ?? '')
        .split(', ')
        .map((n) => n.replace(/^DNS:/, '').toLowerCase());
      if (!this.domains.every((d) => names.includes(d))) return null;
      const notBefore = Date.parse(leaf.validFrom);
      const notAfter = Date.parse(leaf.validTo);
      // Jitter spreads renewals of many instances and certificates: up to 5% of the lifetime
      // (at most 3 hours) earlier, never later.
      const jitterMs = Math.random() * Math.min((notAfter - notBefore) * 0.05, 3 * 3_600_000);
      const renewAt =
        notAfter - Math.min(this.#renewBeforeMs, (notAfter - notBefore) / 2) - jitterMs;
      return { pem, notAfter, renewAt, isPlaceholder: false };
    } catch {
      return null;
    }
  }

  #schedule(delayMs: number): void {
    if (this.#host === null) return;
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = setTimeout(
      () => {
        this.#timer = null;
        void this.#runExclusive(false).catch(() => {});
      },
      Math.min(Math.max(0, delayMs), MAX_TIMER_MS),
    );
    this.#timer.unref();
  }

  #runExclusive(force: boolean): Promise<void> {
    const previous = this.#running ?? Promise.resolve();
    const run = previous.catch(() => {}).then(() => this.#check(force));
    this.#running = run;
    return run;
  }

  async #check(force: boolean): Promise<void> {
    const host = this.#host;
    try {
      const outcome = await this.#renewIfDue(force);
      this.#failures = 0;
      if (outcome === 'locked') {
        host?.onLog(
          `acme: another instance is ordering ${this.domains.join(', ')}; checking the store again soon`,
        );
        this.#schedule(this.#options.lockRetryMs ?? 10_000);
        return;
      }
      this.#schedule((this.#current?.renewAt ?? 0) - Date.now());
    } catch (err) {
      this.#failures++;
      const min = this.#options.retryMinMs ?? 60_000;
      const max = this.#options.retryMaxMs ?? 6 * 3_600_000;
      const delay = Math.min(max, min * 2 ** (this.#failures - 1)) * (0.8 + Math.random() * 0.4);
      host?.onError(err);
      host?.onLog(
        `acme: retrying ${this.domains.join(', ')} in ${Math.round(delay / 1000)} s; the current certificate stays in service`,
      );
      this.#schedule(delay);
      if (force) throw err;
    }
  }

  #isDue(current: Current | null): boolean {
    return current === null || current.isPlaceholder || Date.now() >= current.renewAt;
  }

  async #renewIfDue(force: boolean): Promise<'ok' | 'locked'> {
    // Another instance may have renewed already: take a newer stored certificate first.
    await this.#adoptStored();
    if (!force && !this.#isDue(this.#current)) return 'ok';
    const release = await this.#store.lock(
      `order-${this.#name}`,
      this.#options.lockTtlMs ?? 600_000,
    );
    if (release === null) return 'locked';
    try {
      // Checked again under the lock: the holder before us may just have stored one.
      if (!force && (await this.#adoptStored()) && !this.#isDue(this.#current)) return 'ok';
      const client = await this.#acmeClient();
      const offset = this.#failures;
      const preferred =
        this.#options.challenges ??
        (this.#options.dnsProvider ? ['dns-01'] : ['http-01', 'tls-alpn-01']);
      const challenges = preferred.map(
        (_, i) => preferred[(i + offset) % preferred.length] as ChallengeType,
      );
      const issued = await issueCertificate(client, this, {
        domains: this.domains,
        challenges,
        keyType: this.#options.keyType ?? 'ec-p256',
        pollTimeoutMs: this.#options.pollTimeoutMs ?? 120_000,
        signal: this.#abort.signal,
      });
      const current = this.#inspect(issued);
      if (current === null) {
        throw new RwsError(
          ERROR_CODES.ACME_ORDER_FAILED,
          `the CA issued a certificate that does not cover ${this.domains.join(', ')}`,
        );
      }
      await this.#store.saveCertificate(this.#name, issued);
      await this.#putInService(current, true);
      return 'ok';
    } finally {
      await release();
    }
  }

  /** Puts the stored certificate in service when it expires later than ours. */
  async #adoptStored(): Promise<boolean> {
    const stored = await this.#store.loadCertificate(this.#name);
    if (stored === null) return false;
    const candidate = this.#inspect(stored);
    const current = this.#current;
    if (candidate === null) return false;
    if (current !== null && !current.isPlaceholder && candidate.notAfter <= current.notAfter)
      return false;
    await this.#putInService(candidate, false);
    return true;
  }

  async #putInService(next: Current, isIssued: boolean): Promise<void> {
    const previous = this.#current;
    this.#current = next;
    try {
      await this.#host?.reloadCertificates();
    } catch (err) {
      this.#current = previous;
      throw err;
    }
    const leaf = new X509Certificate(next.pem.certPem);
    this.#host?.onLog(
      `acme: certificate for ${this.domains.join(', ')} in service until ${leaf.validTo}`,
    );
    this.#options.onCertificate?.({
      domains: this.domains,
      notAfter: new Date(next.notAfter),
      fingerprint256: leaf.fingerprint256,
      isIssued,
    });
  }

  async #acmeClient(): Promise<AcmeClient> {
    if (this.#client !== null) return this.#client;
    const o = this.#options;
    const directoryUrl =
      o.directoryUrl ??
      (o.staging === true ? LETS_ENCRYPT_STAGING_DIRECTORY : LETS_ENCRYPT_DIRECTORY);
    const client = new AcmeClient({
      directoryUrl,
      accountKey: await this.#accountKey(),
      ca: o.ca,
      // close() ends a request in flight at once instead of waiting for its timeout.
      signal: this.#abort.signal,
    });
    await client.account({ email: o.email });
    this.#client = client;
    return client;
  }

  /** The stored account key, or a new ECDSA P-256 key, stored before first use. */
  async #accountKey(): Promise<KeyObject> {
    const pem = await this.#store.loadAccountKey();
    if (pem !== null) return createPrivateKey(pem);
    const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
    await this.#store.saveAccountKey(privateKey.export({ type: 'pkcs8', format: 'pem' }) as string);
    return privateKey;
  }
}
