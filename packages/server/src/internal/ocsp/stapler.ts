/**
 * OCSP stapling for a TLS listener: for every certificate in service whose chain names its
 * issuer and whose AIA names an OCSP responder, fetch a response (with @rws/http1), check it,
 * keep it until halfway to its nextUpdate, then refresh in the background. A handshake only
 * ever reads the cache: a slow or dead responder never delays or fails one, and a response
 * that expires without a replacement is dropped rather than stapled stale.
 */
import { createHash, X509Certificate } from 'node:crypto';
import { RwsError } from '@rws/core';
import { type Agent, createAgent } from '@rws/http1';
import { ERROR_CODES } from '../../errors.js';
import { buildOcspRequest, checkOcspResponse, ocspUrl } from './ocsp-message.js';

export interface OcspStaplerOptions {
  /** Longest wait for a responder's answer. */
  readonly timeoutMs: number;
  /** First retry delay after a failed fetch, doubling up to `retryMaxMs`. */
  readonly retryMinMs: number;
  readonly retryMaxMs: number;
  readonly onLog: (message: string) => void;
  readonly onError: (err: unknown) => void;
}

/** Refresh interval when the responder gives no nextUpdate. */
const NO_NEXT_UPDATE_REFRESH_MS = 3_600_000;
/** The most bytes a response may have (a signed response with a responder cert is ~2 KiB). */
const MAX_RESPONSE_BYTES = 65_536;
const MAX_TIMER_MS = 2 ** 31 - 1;

interface Entry {
  readonly leaf: X509Certificate;
  readonly issuer: X509Certificate;
  readonly url: string;
  readonly label: string;
  response: Buffer | null;
  /** Epoch ms after which `response` must not be stapled. */
  validUntil: number;
  failures: number;
  timer: NodeJS.Timeout | null;
}

const PEM_CERT = /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g;

function digest(der: Buffer): string {
  return createHash('sha256').update(der).digest('hex');
}

export class OcspStapler {
  readonly #options: OcspStaplerOptions;
  readonly #entries = new Map<string, Entry>();
  readonly #agent: Agent;
  readonly #abort = new AbortController();

  constructor(options: OcspStaplerOptions) {
    this.#options = options;
    this.#agent = createAgent({ maxSockets: 2, idleTimeoutMs: 1000 });
  }

  /**
   * Tracks the certificates of `chains` (PEM, leaf first): new ones are fetched now, gone
   * ones forgotten, unchanged ones keep their response.
   */
  update(chains: readonly (string | Buffer)[]): void {
    const wanted = new Map<string, { leaf: X509Certificate; issuer: X509Certificate | null }>();
    for (const chain of chains) {
      const pems = String(chain).match(PEM_CERT) ?? [];
      if (pems[0] === undefined) continue;
      try {
        const leaf = new X509Certificate(pems[0]);
        const issuer = pems[1] === undefined ? null : new X509Certificate(pems[1]);
        wanted.set(digest(leaf.raw), { leaf, issuer });
      } catch {
        // Loading the contexts already rejected unreadable certificates.
      }
    }
    for (const [key, entry] of this.#entries) {
      if (!wanted.has(key)) {
        if (entry.timer !== null) clearTimeout(entry.timer);
        this.#entries.delete(key);
      }
    }
    for (const [key, { leaf, issuer }] of wanted) {
      if (this.#entries.has(key)) continue;
      const url = ocspUrl(leaf);
      if (url === null) continue; // The CA offers no OCSP: nothing to staple.
      const label = leaf.subjectAltName ?? leaf.subject;
      if (issuer === null) {
        this.#options.onLog(
          `ocsp: no stapling for ${label}: the chain file does not include the issuer certificate`,
        );
        continue;
      }
      const entry: Entry = {
        leaf,
        issuer,
        url,
        label,
        response: null,
        validUntil: 0,
        failures: 0,
        timer: null,
      };
      this.#entries.set(key, entry);
      void this.#refresh(entry);
    }
  }

  /** The response to staple for the certificate `leafDer`, or null. Never waits. */
  staple(leafDer: Buffer): Buffer | null {
    const entry = this.#entries.get(digest(leafDer));
    if (entry === undefined || entry.response === null) return null;
    if (Date.now() >= entry.validUntil) {
      entry.response = null; // Expired without a replacement: stapling it would fail clients.
      return null;
    }
    return entry.response;
  }

  close(): void {
    this.#abort.abort();
    for (const entry of this.#entries.values()) {
      if (entry.timer !== null) clearTimeout(entry.timer);
    }
    this.#entries.clear();
    void this.#agent.close();
  }

  async #fetch(entry: Entry): Promise<Buffer> {
    const body = buildOcspRequest(entry.leaf, entry.issuer);
    // RFC 5019 §5: GET when the encoded request is short (cacheable by CDNs), else POST.
    const encoded = encodeURIComponent(body.toString('base64'));
    const isGet = encoded.length <= 255;
    const timeouts = {
      connectTimeoutMs: this.#options.timeoutMs,
      headersTimeoutMs: this.#options.timeoutMs,
      bodyTimeoutMs: this.#options.timeoutMs,
    };
    const res = await this.#agent.request({
      url: isGet ? `${entry.url.replace(/\/?$/, '/')}${encoded}` : entry.url,
      method: isGet ? 'GET' : 'POST',
      headers: isGet ? {} : { 'content-type': 'application/ocsp-request' },
      ...(isGet ? {} : { body }),
      timeouts,
      signal: AbortSignal.any([this.#abort.signal, AbortSignal.timeout(this.#options.timeoutMs)]),
    });
    const bytes = Buffer.from(await res.body.bytes({ limit: MAX_RESPONSE_BYTES }));
    if (res.status !== 200) throw new Error(`responder answered HTTP ${res.status}`);
    return bytes;
  }

  async #refresh(entry: Entry): Promise<void> {
    entry.timer = null;
    let nextMs: number;
    try {
      const der = await this.#fetch(entry);
      const result = checkOcspResponse(der, entry.leaf, entry.issuer);
      if (this.#entries.get(digest(entry.leaf.raw)) !== entry) return; // Replaced meanwhile.
      entry.failures = 0;
      const now = Date.now();
      const nextUpdate = result.nextUpdate ?? now + NO_NEXT_UPDATE_REFRESH_MS;
      // A revoked status is stapled too (clients should learn it); 'unknown' helps no one.
      if (result.status === 'unknown') throw new Error('responder does not know the certificate');
      entry.response = der;
      entry.validUntil = nextUpdate;
      if (result.status === 'revoked') {
        this.#options.onError(
          new RwsError(
            ERROR_CODES.CERTIFICATE_REVOKED,
            `the OCSP responder ${entry.url} reports the certificate for ${entry.label} (serial ${entry.leaf.serialNumber}) as revoked: replace it`,
          ),
        );
      }
      // Refresh halfway through the validity window, as Caddy does.
      nextMs = Math.max(1000, result.thisUpdate + (nextUpdate - result.thisUpdate) / 2 - now);
    } catch (err) {
      if (this.#abort.signal.aborted || this.#entries.get(digest(entry.leaf.raw)) !== entry) return;
      entry.failures++;
      const { retryMinMs, retryMaxMs } = this.#options;
      nextMs = Math.min(retryMaxMs, retryMinMs * 2 ** (entry.failures - 1));
      const reason = err instanceof Error ? err.message : String(err);
      const keeps =
        entry.response !== null && Date.now() < entry.validUntil
          ? 'the previous response stays stapled'
          : 'handshakes go on without a stapled response';
      this.#options.onError(
        new RwsError(
          ERROR_CODES.OCSP_FAILED,
          `OCSP stapling for ${entry.label}: ${entry.url}: ${reason}; retrying in ${Math.round(nextMs / 1000)} s, ${keeps}`,
          { cause: err },
        ),
      );
    }
    entry.timer = setTimeout(() => void this.#refresh(entry), Math.min(nextMs, MAX_TIMER_MS));
    entry.timer.unref();
  }
}
