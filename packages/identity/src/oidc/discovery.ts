import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { FetchLike, OidcProviderMetadata } from './types.js';

/** Options of `createDiscovery`. */
export interface DiscoveryOptions {
  /** The issuer identifier; the document is read from `<issuer>/.well-known/openid-configuration`. */
  issuer: string;
  /**
   * The `issuer` the document must name, when it differs from the URL's (Microsoft's
   * multi-tenant `{tenantid}` template). Default: `issuer`.
   */
  expectedIssuer?: string | undefined;
  /** How long a fetched document is reused, in milliseconds. Default 3600000 (one hour). */
  cacheTtlMs?: number | undefined;
  /** Default `globalThis.fetch`. */
  fetch?: FetchLike | undefined;
}

/** Provider metadata, fetched once and cached (`get()`), or given up front. */
export interface Discovery {
  get(options?: { signal?: AbortSignal | undefined }): Promise<OidcProviderMetadata>;
}

function fail(message: string, cause?: unknown): never {
  throw new RwsError(ERROR_CODES.OIDC_DISCOVERY_FAILED, message, { status: 502, cause });
}

function requireUrl(doc: Record<string, unknown>, key: string, where: string): void {
  const value = doc[key];
  if (typeof value !== 'string' || !URL.canParse(value)) {
    fail(`${where}: "${key}" is missing or not a URL`);
  }
}

/** The discovery URL of an issuer. @see OpenID Connect Discovery 1.0 §4 */
function discoveryUrl(issuer: string): string {
  return `${issuer.replace(/\/+$/, '')}/.well-known/openid-configuration`;
}

/**
 * Checks a metadata document: a JSON object naming the expected issuer exactly (OpenID Connect
 * Discovery §4.3, so a document cannot speak for another issuer) and the endpoints the login
 * flow needs.
 */
export function checkMetadata(
  doc: unknown,
  expectedIssuer: string,
  where: string,
): OidcProviderMetadata {
  if (typeof doc !== 'object' || doc === null || Array.isArray(doc)) {
    fail(`${where}: not a JSON object`);
  }
  const record = doc as Record<string, unknown>;
  if (record['issuer'] !== expectedIssuer) {
    fail(
      `${where}: issuer ${JSON.stringify(record['issuer'])} differs from the expected ${JSON.stringify(expectedIssuer)}`,
    );
  }
  requireUrl(record, 'authorization_endpoint', where);
  requireUrl(record, 'token_endpoint', where);
  return record as OidcProviderMetadata;
}

/**
 * Fetches an issuer's metadata on first use and reuses it for `cacheTtlMs`. Concurrent callers
 * share one request; a failure is not cached, so the next login tries again.
 */
export function createDiscovery(options: DiscoveryOptions): Discovery {
  const url = discoveryUrl(options.issuer);
  const expected = options.expectedIssuer ?? options.issuer;
  const ttlMs = options.cacheTtlMs ?? 3_600_000;
  const fetchFn = options.fetch ?? globalThis.fetch;
  let cached: { metadata: OidcProviderMetadata; at: number } | null = null;
  let inFlight: Promise<OidcProviderMetadata> | null = null;

  async function load(signal: AbortSignal | undefined): Promise<OidcProviderMetadata> {
    let res: Response;
    try {
      res = await fetchFn(url, {
        headers: { accept: 'application/json' },
        ...(signal === undefined ? {} : { signal }),
      });
    } catch (err) {
      fail(`discovery: GET ${url} failed: ${(err as Error).message}`, err);
    }
    if (res.status !== 200) {
      await res.body?.cancel();
      fail(`discovery: GET ${url} answered ${res.status}`);
    }
    let doc: unknown;
    try {
      doc = await res.json();
    } catch (err) {
      fail(`discovery: ${url} is not JSON`, err);
    }
    const metadata = checkMetadata(doc, expected, `discovery ${url}`);
    if (metadata['jwks_uri'] === undefined) fail(`discovery ${url}: "jwks_uri" is missing`);
    requireUrl(metadata, 'jwks_uri', `discovery ${url}`);
    return metadata;
  }

  return {
    get(callOptions = {}) {
      if (cached !== null && Date.now() - cached.at < ttlMs)
        return Promise.resolve(cached.metadata);
      inFlight ??= load(callOptions.signal)
        .then((metadata) => {
          cached = { metadata, at: Date.now() };
          return metadata;
        })
        .finally(() => {
          inFlight = null;
        });
      return inFlight;
    },
  };
}
