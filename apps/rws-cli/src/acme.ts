/**
 * The `[acme]` configuration as an `AcmeManager` of @rws/server: where its files live, which
 * CA it asks, and how the TLS options change when it supplies the certificate.
 */
import { homedir } from 'node:os';
import { join } from 'node:path';
import { openStorageSource } from '@rws/proxy';
import {
  AcmeManager,
  type CertificateStore,
  type ChallengeType,
  createDirectoryStore,
  createObjectStorageStore,
  createRfc2136Provider,
  type DnsProvider,
} from '@rws/server';
import { ACME_CHALLENGES } from './config/acme-keys.js';
import { ConfigError } from './config/resolve-config.js';
import type { ServerConfig } from './config/server-config.js';
import { ERROR_CODES } from './errors.js';

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

/**
 * `[acme.storage]` as a certificate store over its bucket (the lock shared by every instance
 * using it); a bucket that cannot be opened is a `ConfigError` naming the key.
 */
function bucketStore(
  config: ServerConfig,
  source: NonNullable<ServerConfig['acme']['storage']>,
  env: Readonly<Record<string, string | undefined>>,
): CertificateStore {
  const opened = openStorageSource(source, { env });
  if ('problem' in opened) {
    throw new ConfigError([
      {
        code: ERROR_CODES.INVALID_VALUE,
        source: config.configFile === null ? 'config' : 'file',
        file: config.configFile ?? undefined,
        key: `acme.storage.${opened.problem.key}`,
        line: undefined,
        message: opened.problem.message,
      },
    ]);
  }
  return createObjectStorageStore({
    storage: opened.storage,
    prefix: source.prefix === '' ? undefined : source.prefix,
    closeStorage: true,
  });
}

/** `[acme] dns_provider` as a `DnsProvider`, or null without one (checkAcme ran before). */
function dnsProvider(config: ServerConfig): DnsProvider | null {
  const a = config.acme;
  if (a.dnsProvider === null) return null;
  return createRfc2136Provider({
    server: a.dnsServer ?? '',
    zone: a.dnsZone ?? '',
    keyName: a.dnsTsigKeyName ?? '',
    keySecret: a.dnsTsigSecret ?? '',
    keyAlgorithm: a.dnsTsigAlgorithm,
  });
}

/** The manager of `config`'s `[acme]` table, or null when ACME is off. */
export function createAcmeManager(
  config: ServerConfig,
  env: Readonly<Record<string, string | undefined>> = process.env,
): AcmeManager | null {
  if (!isAcmeOn(config)) return null;
  const a = config.acme;
  const { certFile, keyFile } = outputFiles(config);
  const store =
    a.storage === null
      ? createDirectoryStore({
          directory: acmeStorageDir(config, env),
          accountKeyFile: a.accountKeyPath ?? undefined,
          certFile: certFile ?? undefined,
          keyFile: keyFile ?? undefined,
        })
      : bucketStore(config, a.storage, env);
  const dns = dnsProvider(config);
  return new AcmeManager({
    domains: a.domains,
    store,
    ...(dns === null ? {} : { dnsProvider: dns }),
    ...(a.challenges.length === 0 ? {} : { challenges: a.challenges as ChallengeType[] }),
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
  const hasDns = a.dnsProvider !== null;
  for (const name of a.domains) {
    const bare = name.startsWith('*.') ? name.slice(2) : name;
    if (name.startsWith('*.') && !hasDns) {
      report(
        'acme.domains',
        `${JSON.stringify(name)}: wildcards need the DNS-01 challenge: set dns_provider (rfc2136) and its keys`,
      );
    } else if (bare.length > 253 || !bare.split('.').every((l) => LABEL.test(l))) {
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
  for (const type of a.challenges) {
    if (!ACME_CHALLENGES.includes(type)) {
      report(
        'acme.challenges',
        `${JSON.stringify(type)} is not a challenge type rws answers (one of ${ACME_CHALLENGES.join(', ')})`,
      );
    } else if (type === 'dns-01' && !hasDns) {
      report('acme.challenges', 'dns-01 needs dns_provider (rfc2136) and its keys');
    }
  }
  checkDns(config, report);
  if (a.storage !== null) {
    // The bucket holds the account key and the certificate; nothing is written to files.
    const fileKeys = [
      ['acme.storageDir', a.storageDir],
      ['acme.accountKeyPath', a.accountKeyPath],
      ['acme.certPath', a.certPath],
      ['acme.keyPath', a.keyPath],
      ['tlsCertFile', config.tlsCertFile],
    ] as const;
    for (const [path, value] of fileKeys) {
      if (value !== null)
        report(path, 'is for the directory store; [acme.storage] keeps everything in its bucket');
    }
  }
  if (a.renewBeforeDays < 1) report('acme.renewBeforeDays', 'must be at least 1 day');
  if (isAcmeOn(config) && (a.certPath === null) !== (a.keyPath === null)) {
    report(
      a.certPath === null ? 'acme.keyPath' : 'acme.certPath',
      'cert_path and key_path go together: set both or neither',
    );
  }
}

/** The rfc2136 keys: all four with dns_provider, none without it; the secret is base64. */
function checkDns(config: ServerConfig, report: (path: string, message: string) => void): void {
  const a = config.acme;
  const keys = [
    ['acme.dnsServer', 'dns_server', a.dnsServer],
    ['acme.dnsZone', 'dns_zone', a.dnsZone],
    ['acme.dnsTsigKeyName', 'dns_tsig_key_name', a.dnsTsigKeyName],
    ['acme.dnsTsigSecret', 'dns_tsig_secret', a.dnsTsigSecret],
  ] as const;
  for (const [path, toml, value] of keys) {
    if (a.dnsProvider === null && value !== null) {
      report(path, `${toml} is for dns_provider = "rfc2136", which is not set`);
    } else if (a.dnsProvider !== null && value === null) {
      report(path, `dns_provider = "rfc2136" needs ${toml}`);
    }
  }
  const secret = a.dnsTsigSecret;
  // An unresolved reference is reported by the resolver; only a resolved value is checked here.
  if (secret !== null && !secret.includes('://') && !/^[A-Za-z0-9+/]+={0,2}$/.test(secret)) {
    report('acme.dnsTsigSecret', 'is not base64 (as tsig-keygen prints it)');
  }
}
