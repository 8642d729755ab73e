/**
 * TLS certificates of a server: the default certificate, in-memory SNI certificates
 * (`sniCertificates`, e.g. Kubernetes Ingress Secrets), SNI virtual hosts (exact names and
 * one-label wildcards), the ACME certificate and the mTLS client CA, loaded into prebuilt
 * `SecureContext`s so the SNI callback is a map lookup. With HTTP/3 the same certificates are
 * also parsed for QUIC's own TLS handshake (one table, two handshake stacks). Loading is
 * all-or-nothing: a reload that fails to read or parse any file leaves the running contexts
 * untouched.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { RwsError } from '@rws/core';
import { createHttp3Certificate, type Http3Certificate } from '@rws/h3';
import type { AcmeManager } from '../acme-manager.js';
import { ERROR_CODES } from '../errors.js';
import type { ResolvedTls } from './options.js';

/** Loaded contexts of one TLS configuration. */
export interface TlsContexts {
  /** Options of the default certificate, for `tls.Server#setSecureContext`. */
  readonly defaultOptions: SecureContextOptions;
  readonly defaultContext: SecureContext;
  /** Exact server names (lower case) → context. */
  readonly exact: ReadonlyMap<string, SecureContext>;
  /** Wildcard parents: `example.com` for `*.example.com` → context. */
  readonly wildcard: ReadonlyMap<string, SecureContext>;
  /** Every certificate chain (PEM, leaf first) in the contexts, for OCSP stapling. */
  readonly chains: readonly (string | Buffer)[];
  /** The same certificates for HTTP/3 (QUIC's TLS), or null when HTTP/3 is off. */
  readonly quic: QuicCertificates | null;
}

/** The certificate table of `TlsContexts` for QUIC: same names, same default, same client CA. */
export interface QuicCertificates {
  /** The default certificate (PEM), as the QUIC endpoint's fallback. */
  readonly cert: string;
  readonly key: string;
  readonly exact: ReadonlyMap<string, Http3Certificate>;
  readonly wildcard: ReadonlyMap<string, Http3Certificate>;
  /** The mTLS client CA file's PEM, or null. */
  readonly clientCa: string | null;
}

async function readPem(path: string, what: string): Promise<Buffer> {
  try {
    return await readFile(path);
  } catch (err) {
    throw new RwsError(ERROR_CODES.TLS_LOAD_FAILED, `cannot read ${what} file ${path}`, {
      cause: err,
    });
  }
}

/** The certificate for QUIC; a key our QUIC handshake cannot sign with fails the load. */
function buildQuicCertificate(cert: string | Buffer, key: string | Buffer, what: string) {
  try {
    return createHttp3Certificate(String(cert), String(key));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new RwsError(ERROR_CODES.TLS_LOAD_FAILED, `invalid ${what} for HTTP/3: ${reason}`, {
      cause: err,
    });
  }
}

function buildContext(options: SecureContextOptions, what: string): SecureContext {
  try {
    return createSecureContext(options);
  } catch (err) {
    // OpenSSL reports bad PEM and key/certificate mismatches here.
    const reason = err instanceof Error ? err.message : String(err);
    throw new RwsError(ERROR_CODES.TLS_LOAD_FAILED, `invalid ${what}: ${reason}`, { cause: err });
  }
}

/**
 * Reads every file of `config` and builds its contexts; throws `RWS_SERVER_TLS_LOAD_FAILED`.
 * An ACME manager's certificate answers its domains, and is the default without `certFile`.
 */
export async function loadTlsContexts(
  config: ResolvedTls,
  acme: AcmeManager | null = null,
  isHttp3 = false,
): Promise<TlsContexts> {
  const acmePem = acme?.certificate ?? null;
  const [cert, key, ca] = await Promise.all([
    config.certFile === null ? (acmePem?.certPem ?? '') : readPem(config.certFile, 'tlsCertFile'),
    config.keyFile === null ? (acmePem?.keyPem ?? '') : readPem(config.keyFile, 'tlsKeyFile'),
    config.clientCaFile === null ? null : readPem(config.clientCaFile, 'tlsClientCaFile'),
  ]);
  // The client CA goes into every context: after an SNI switch, OpenSSL verifies the client
  // certificate with the selected context's trust store.
  // The cipher list and minimum version go into every context too: after an SNI switch the
  // handshake continues with the selected context's settings.
  const base: SecureContextOptions = {
    ciphers: config.ciphers,
    minVersion: config.minVersion,
    honorCipherOrder: true,
  };
  const withCa = (o: SecureContextOptions): SecureContextOptions =>
    ca === null ? { ...base, ...o } : { ...base, ...o, ca };
  const defaultOptions = withCa({ cert, key });
  const defaultContext = buildContext(
    defaultOptions,
    `certificate/key ${config.certFile ?? 'from ACME'}`,
  );
  const chains: (string | Buffer)[] = [cert];
  const exact = new Map<string, SecureContext>();
  const wildcard = new Map<string, SecureContext>();
  const quicExact = new Map<string, Http3Certificate>();
  const quicWildcard = new Map<string, Http3Certificate>();
  /** Puts names' context (and their QUIC certificate) in the exact or wildcard tables. */
  const addNames = (
    names: readonly string[],
    context: SecureContext,
    quic: Http3Certificate | null,
  ): void => {
    for (const domain of names) {
      const lower = domain.toLowerCase();
      const isWildcard = lower.startsWith('*.');
      const name = isWildcard ? lower.slice(2) : lower;
      (isWildcard ? wildcard : exact).set(name, context);
      if (quic !== null) (isWildcard ? quicWildcard : quicExact).set(name, quic);
    }
  };
  /** One certificate for both handshake stacks: TCP's context, QUIC's when HTTP/3 is on. */
  const addCertificate = (
    names: readonly string[],
    certPem: string | Buffer,
    keyPem: string | Buffer,
    what: string,
  ): void => {
    const context = buildContext(withCa({ cert: certPem, key: keyPem }), what);
    addNames(names, context, isHttp3 ? buildQuicCertificate(certPem, keyPem, what) : null);
    chains.push(certPem);
  };
  if (isHttp3) buildQuicCertificate(cert, key, `certificate/key ${config.certFile ?? 'from ACME'}`);
  // In-memory certificates first, so virtual hosts and ACME domains override them.
  for (const sni of config.sniCertificates?.() ?? []) {
    addCertificate(sni.hosts, sni.cert, sni.key, `certificate/key of ${sni.hosts.join(', ')}`);
  }
  const files = await Promise.all(
    config.virtualHosts.map(async (vh) => {
      const [c, k] = await Promise.all([
        readPem(vh.certFile, `virtualHosts ${vh.domain} certFile`),
        readPem(vh.keyFile, `virtualHosts ${vh.domain} keyFile`),
      ]);
      return { vh, c, k };
    }),
  );
  for (const { vh, c, k } of files)
    addCertificate([vh.domain], c, k, `certificate/key of ${vh.domain}`);
  if (acme !== null && acmePem !== null) {
    const what = `ACME certificate of ${acme.domains.join(', ')}`;
    addCertificate(acme.domains, acmePem.certPem, acmePem.keyPem, what);
  }
  const quic: QuicCertificates | null = isHttp3
    ? {
        cert: String(cert),
        key: String(key),
        exact: quicExact,
        wildcard: quicWildcard,
        clientCa: ca === null ? null : String(ca),
      }
    : null;
  return { defaultOptions, defaultContext, exact, wildcard, chains, quic };
}

/**
 * The context for an SNI server name: an exact match, else a wildcard covering exactly the
 * first label (`*.example.com` matches `a.example.com`, not `a.b.example.com` nor
 * `example.com`, RFC 6125 §6.4.3), else the default certificate.
 */
export function selectContext(contexts: TlsContexts, servername: string): SecureContext {
  return selectByName(contexts.exact, contexts.wildcard, servername) ?? contexts.defaultContext;
}

/** The same choice for QUIC: undefined (no SNI, or no match) serves the default certificate. */
export function selectQuicCertificate(
  quic: QuicCertificates,
  servername: string | undefined,
): Http3Certificate | undefined {
  return servername === undefined ? undefined : selectByName(quic.exact, quic.wildcard, servername);
}

function selectByName<T>(
  exact: ReadonlyMap<string, T>,
  wildcard: ReadonlyMap<string, T>,
  servername: string,
): T | undefined {
  const name = servername.toLowerCase();
  const hit = exact.get(name);
  if (hit !== undefined) return hit;
  const dot = name.indexOf('.');
  return dot > 0 ? wildcard.get(name.slice(dot + 1)) : undefined;
}
