/**
 * TLS certificates of a server: the default certificate, SNI virtual hosts (exact names and
 * one-label wildcards) and the mTLS client CA, loaded from PEM files into prebuilt
 * `SecureContext`s so the SNI callback is a map lookup. Loading is all-or-nothing: a reload
 * that fails to read or parse any file leaves the running contexts untouched.
 */
import { readFile } from 'node:fs/promises';
import { createSecureContext, type SecureContext, type SecureContextOptions } from 'node:tls';
import { RwsError } from '@rws/core';
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
  const addNames = (names: readonly string[], context: SecureContext): void => {
    for (const name of names) {
      const domain = name.toLowerCase();
      if (domain.startsWith('*.')) wildcard.set(domain.slice(2), context);
      else exact.set(domain, context);
    }
  };
  // In-memory certificates first, so virtual hosts and ACME domains override them.
  for (const sni of config.sniCertificates?.() ?? []) {
    const context = buildContext(
      withCa({ cert: sni.cert, key: sni.key }),
      `certificate/key of ${sni.hosts.join(', ')}`,
    );
    chains.push(sni.cert);
    addNames(sni.hosts, context);
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
  for (const { vh, c, k } of files) {
    const context = buildContext(withCa({ cert: c, key: k }), `certificate/key of ${vh.domain}`);
    chains.push(c);
    addNames([vh.domain], context);
  }
  if (acme !== null && acmePem !== null) {
    const context = buildContext(
      withCa({ cert: acmePem.certPem, key: acmePem.keyPem }),
      `ACME certificate of ${acme.domains.join(', ')}`,
    );
    addNames(acme.domains, context);
    chains.push(acmePem.certPem);
  }
  return { defaultOptions, defaultContext, exact, wildcard, chains };
}

/**
 * The context for an SNI server name: an exact match, else a wildcard covering exactly the
 * first label (`*.example.com` matches `a.example.com`, not `a.b.example.com` nor
 * `example.com`, RFC 6125 §6.4.3), else the default certificate.
 */
export function selectContext(contexts: TlsContexts, servername: string): SecureContext {
  const name = servername.toLowerCase();
  const exact = contexts.exact.get(name);
  if (exact !== undefined) return exact;
  const dot = name.indexOf('.');
  if (dot > 0) {
    const wildcard = contexts.wildcard.get(name.slice(dot + 1));
    if (wildcard !== undefined) return wildcard;
  }
  return contexts.defaultContext;
}
