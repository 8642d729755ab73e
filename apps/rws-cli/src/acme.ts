/**
 * The `[acme]` configuration as an `AcmeManager` of @rws/server: where its files live, which
 * CA it asks, and how the TLS options change when it supplies the certificate.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { AcmeManager, createDirectoryStore } from '@rws/server';
import type { ServerConfig } from './config/schema.js';

/** True when `[acme] domains` lists any name. */
export function isAcmeOn(config: ServerConfig): boolean {
  return config.acme.domains.length > 0;
}

/**
 * The storage directory: the configured one, else the per-user state directory (never the
 * served folder: the account key must not be downloadable).
 */
function acmeStorageDir(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): string {
  if (config.acme.storageDir !== null) return config.acme.storageDir;
  const state = env['XDG_STATE_HOME'];
  const base = state !== undefined && state !== '' ? state : join(homedir(), '.local', 'state');
  return join(base, 'rws', 'acme');
}

/** The certificate and key files ACME writes, or null for the storage directory's own. */
function outputFiles(config: ServerConfig): { certFile: string | null; keyFile: string | null } {
  return {
    certFile: config.acme.certPath ?? config.tlsCertFile,
    keyFile: config.acme.keyPath ?? config.tlsKeyFile,
  };
}

/** True when `tls_cert_file`/`tls_key_file` name the files ACME writes (not a separate default). */
export function isTlsFromAcme(config: ServerConfig): boolean {
  return isAcmeOn(config) && config.acme.certPath === null && config.tlsCertFile !== null;
}

/** The manager of `config`'s `[acme]` table, or null when ACME is off. */
export function createAcmeManager(config: ServerConfig): AcmeManager | null {
  if (!isAcmeOn(config)) return null;
  const a = config.acme;
  const { certFile, keyFile } = outputFiles(config);
  const store = createDirectoryStore({
    directory: acmeStorageDir(config),
    accountKeyFile: a.accountKeyPath ?? undefined,
    certFile: certFile ?? undefined,
    keyFile: keyFile ?? undefined,
  });
  return new AcmeManager({
    domains: a.domains,
    store,
    email: a.email ?? undefined,
    staging: a.staging,
    directoryUrl: a.directory ?? undefined,
    renewBeforeDays: a.renewBeforeDays,
  });
}

const LABEL = /^[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?$/i;

/** Reports bad `[acme]` values by key path, before anything listens. */
export function checkAcme(
  config: ServerConfig,
  report: (path: string, message: string) => void,
): void {
  const a = config.acme;
  for (const name of a.domains) {
    if (name.startsWith('*.')) {
      report(
        'acme.domains',
        `${JSON.stringify(name)}: wildcards need the DNS-01 challenge, which rws does not offer`,
      );
    } else if (name.length > 253 || !name.split('.').every((l) => LABEL.test(l))) {
      report('acme.domains', `${JSON.stringify(name)} is not a DNS name`);
    }
  }
  if (a.directory !== null) {
    let isUrl = false;
    try {
      isUrl = ['https:', 'http:'].includes(new URL(a.directory).protocol);
    } catch {
      isUrl = false;
    }
    if (!isUrl) report('acme.directory', `${JSON.stringify(a.directory)} is not an http(s) URL`);
  }
  if (a.email !== null && !/^[^@\s]+@[^@\s]+$/.test(a.email)) {
    report('acme.email', 'is not an email address');
  }
  if (a.renewBeforeDays < 1) report('acme.renewBeforeDays', 'must be at least 1 day');
  if (isAcmeOn(config) && (a.certPath === null) !== (a.keyPath === null)) {
    report(
      a.certPath === null ? 'acme.keyPath' : 'acme.certPath',
      'cert_path and key_path go together: set both or neither',
    );
  }
}
