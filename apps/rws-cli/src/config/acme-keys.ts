/**
 * The `[acme]` keys: automatic certificates from an ACME CA, with the names
 * rust-web-server documents (`RWS_CONFIG_ACME_*`, `[acme]` in TOML, `--acme-*` flags).
 */
import type { GatewayStorageSource } from '@rws/proxy';
import type { KeyInit } from './config-key.js';

/** The `[acme]` table as resolved. ACME is on when `domains` is not empty. */
export interface AcmeConfig {
  domains: string[];
  email: string | null;
  staging: boolean;
  /** Directory URL; null = Let's Encrypt (production, or staging with `staging`). */
  directory: string | null;
  /** Where the certificate chain is written; null = tls_cert_file, else the storage directory. */
  certPath: string | null;
  keyPath: string | null;
  /** Port of the plain-HTTP listener answering HTTP-01 (and redirecting the rest to HTTPS). */
  challengePort: number;
  renewBeforeDays: number;
  /** Account key file; null = `account.key` in the storage directory. */
  accountKeyPath: string | null;
  /** Directory for the account key, certificates and the order lock. */
  storageDir: string | null;
  /**
   * `[acme.storage]`: an @rws/storage bucket instead of a directory (S3, Azure Blob, local),
   * shared by instances on several hosts; its keys are secret references, resolved.
   */
  storage: GatewayStorageSource | null;
  /** Challenge types offered to the CA, in order of preference; empty = both (or dns-01). */
  challenges: string[];
  /** DNS-01 through this provider (wildcards need it); null = no DNS-01. */
  dnsProvider: 'rfc2136' | null;
  /** The primary DNS server taking updates, `host[:port]`. */
  dnsServer: string | null;
  /** The zone the `_acme-challenge` records go in. */
  dnsZone: string | null;
  dnsTsigKeyName: string | null;
  /** TSIG secret (base64); a secret reference in practice. */
  dnsTsigSecret: string | null;
  dnsTsigAlgorithm: 'hmac-sha256' | 'hmac-sha384' | 'hmac-sha512' | 'hmac-sha1';
}

/** The challenge types `[acme] challenges` accepts (dns-01 only with `dns_provider`). */
export const ACME_CHALLENGES: readonly string[] = ['http-01', 'tls-alpn-01', 'dns-01'];

/** Key definitions, turned into `ConfigKey`s by schema.ts. */
export const ACME_KEYS: readonly KeyInit[] = [
  {
    path: 'acme.domains',
    type: 'list',
    default: [],
    placeholder: '<names>',
    description:
      'Get certificates for these DNS names from an ACME CA (HTTP-01 on the challenge port, TLS-ALPN-01 on the TLS port) and renew them; turns TLS on.',
    isReloadable: false,
  },
  {
    path: 'acme.email',
    type: 'string',
    default: null,
    placeholder: '<address>',
    description: 'Contact address of the ACME account (expiry notices).',
    isReloadable: false,
  },
  {
    path: 'acme.staging',
    type: 'boolean',
    default: false,
    placeholder: '[bool]',
    description: "Use Let's Encrypt's staging CA (untrusted certificates, high rate limits).",
    isReloadable: false,
  },
  {
    path: 'acme.directory',
    type: 'string',
    default: null,
    placeholder: '<url>',
    description: "ACME directory URL of another CA (default: Let's Encrypt).",
    isReloadable: false,
  },
  {
    path: 'acme.certPath',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description:
      'Where the issued certificate chain is written (default: tls_cert_file, else the storage directory).',
    isReloadable: false,
  },
  {
    path: 'acme.keyPath',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description:
      'Where the certificate key is written (default: tls_key_file, else the storage directory).',
    isReloadable: false,
  },
  {
    path: 'acme.challengePort',
    type: 'port',
    default: 80,
    placeholder: '<port>',
    description:
      'Plain-HTTP port answering HTTP-01 challenges and redirecting everything else to HTTPS (http_redirect_port wins when set).',
    isReloadable: false,
  },
  {
    path: 'acme.renewBeforeDays',
    type: 'integer',
    default: 30,
    placeholder: '<days>',
    description:
      'Renew this many days before expiry (at most half the lifetime), with jitter; failures retry with back-off.',
    isReloadable: false,
  },
  {
    path: 'acme.accountKeyPath',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description: 'ACME account key file, created when missing (default: in the storage directory).',
    isReloadable: false,
  },
  {
    path: 'acme.storageDir',
    type: 'path',
    default: null,
    placeholder: '<dir>',
    description:
      'Directory for the account key, certificates and the lock that keeps instances sharing it from ordering twice (default: $XDG_STATE_HOME/rws/acme or ~/.local/state/rws/acme).',
    isReloadable: false,
  },
  {
    path: 'acme.storage',
    flag: null,
    env: null,
    tomlAliases: [],
    type: 'storage',
    default: null,
    description:
      'An @rws/storage bucket for the account key, certificates and the order lock, shared by instances on several hosts: { driver = "s3" | "azure-blob" | "local", bucket, endpoint, prefix (default acme/), … }; keys (access_key_id, secret_access_key, session_token, account_key) must be secret references (env://, file://, vault://, aws-sm://, azkv://). Replaces storage_dir; cert_path/key_path still receive copies.',
    isReloadable: false,
  },
  {
    path: 'acme.challenges',
    type: 'list',
    default: [],
    placeholder: '<types>',
    description:
      'Challenge types offered to the CA, in order of preference: http-01, tls-alpn-01, dns-01 (default: http-01 and tls-alpn-01; dns-01 alone with dns_provider).',
    isReloadable: false,
  },
  {
    path: 'acme.dnsProvider',
    type: 'enum',
    values: ['rfc2136'],
    default: null,
    placeholder: '<rfc2136>',
    description:
      'Publish DNS-01 records with this provider (needed for wildcard names): rfc2136 = DNS UPDATE signed with TSIG (BIND, Knot, PowerDNS).',
    isReloadable: false,
  },
  {
    path: 'acme.dnsServer',
    type: 'string',
    default: null,
    placeholder: '<host[:port]>',
    description: 'rfc2136: the primary DNS server taking updates (port 53 by default).',
    isReloadable: false,
  },
  {
    path: 'acme.dnsZone',
    type: 'string',
    default: null,
    placeholder: '<zone>',
    description: 'rfc2136: the zone the _acme-challenge TXT records go in (e.g. example.com).',
    isReloadable: false,
  },
  {
    path: 'acme.dnsTsigKeyName',
    type: 'string',
    default: null,
    placeholder: '<name>',
    description: "rfc2136: the TSIG key name, as in the server's key statement.",
    isReloadable: false,
  },
  {
    path: 'acme.dnsTsigSecret',
    type: 'string',
    default: null,
    placeholder: '<base64>',
    description:
      'rfc2136: the TSIG secret (base64), best as a secret reference (env://NAME, file:///path, vault://…).',
    isReloadable: false,
    isSecret: true,
  },
  {
    path: 'acme.dnsTsigAlgorithm',
    type: 'enum',
    values: ['hmac-sha256', 'hmac-sha384', 'hmac-sha512', 'hmac-sha1'],
    default: 'hmac-sha256',
    placeholder: '<algorithm>',
    description: 'rfc2136: the TSIG algorithm.',
    isReloadable: false,
  },
];
