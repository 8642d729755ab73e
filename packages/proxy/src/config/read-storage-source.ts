/**
 * `storage = { driver = … }` of a static action: the bucket it serves. Secrets never appear in
 * the file: S3 keys come from the environment (`RWS_S3_*`, `AWS_*`, web identity, container
 * role), an Azure account key from the variable `account_key_env` names.
 */
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type { GatewayS3StorageSource, GatewayStorageSource } from './gateway-config.js';
import type { Reader, Table } from './reader.js';

const DRIVER_KEYS: Readonly<Record<GatewayStorageSource['driver'], readonly string[]>> = {
  local: ['driver', 'root', 'prefix'],
  s3: ['driver', 'bucket', 'endpoint', 'region', 'force_path_style', 'prefix'],
  'azure-blob': ['driver', 'account_name', 'container', 'endpoint', 'account_key_env', 'prefix'],
};
/** Keys that carry secrets, accepted only with `isCredentialAllowed` (never in the gateway file). */
const CREDENTIAL_KEYS: Readonly<Record<GatewayStorageSource['driver'], readonly string[]>> = {
  local: [],
  s3: ['access_key_id', 'secret_access_key', 'session_token'],
  'azure-blob': ['account_key'],
};
const DRIVERS = Object.keys(DRIVER_KEYS) as GatewayStorageSource['driver'][];
/** Environment variable names, as POSIX shells accept them. */
const ENV_NAME = /^[A-Za-z_][A-Za-z0-9_]*$/;

/** A key prefix: relative, no empty, `.` or `..` segment, no control character; ends in `/`. */
function readPrefix(r: Reader, t: Table, path: KeyPath): string {
  const raw = r.string(t, 'prefix', path) ?? '';
  if (raw === '') return '';
  const trimmed = raw.endsWith('/') ? raw.slice(0, -1) : raw;
  const segments = trimmed.split('/');
  if (
    /[\u0000-\u001f\u007f\\]/.test(raw) ||
    segments.some((s) => s === '' || s === '.' || s === '..')
  ) {
    r.invalid(
      [...path, 'prefix'],
      'must be a relative key prefix (no leading "/", no empty, "." or ".." segment, no backslash or control character)',
    );
    return '';
  }
  return `${trimmed}/`;
}

/** An `http(s)://host[:port]` endpoint, or null when not given. */
function readEndpoint(r: Reader, t: Table, path: KeyPath): string | null {
  const endpoint = r.string(t, 'endpoint', path);
  if (endpoint === null) return null;
  let url: URL | null = null;
  try {
    url = new URL(endpoint);
  } catch {}
  if (url === null || (url.protocol !== 'http:' && url.protocol !== 'https:')) {
    r.invalid([...path, 'endpoint'], 'must be an http:// or https:// URL');
    return null;
  }
  if (url.username !== '' || url.password !== '') {
    r.invalid([...path, 'endpoint'], 'must not carry credentials (use the environment)');
    return null;
  }
  return endpoint;
}

/** `access_key_id` and `secret_access_key` together (and `session_token` only with them). */
function readS3Credentials(
  r: Reader,
  t: Table,
  path: KeyPath,
): NonNullable<GatewayS3StorageSource['credentials']> | null {
  const accessKeyId = r.string(t, 'access_key_id', path);
  const secretAccessKey = r.string(t, 'secret_access_key', path);
  const sessionToken = r.string(t, 'session_token', path);
  if (accessKeyId === null && secretAccessKey === null) {
    if (sessionToken !== null)
      r.invalid([...path, 'session_token'], 'needs access_key_id and secret_access_key');
    return null;
  }
  if (accessKeyId === null || secretAccessKey === null) {
    r.invalid(
      [...path, accessKeyId === null ? 'access_key_id' : 'secret_access_key'],
      'access_key_id and secret_access_key go together: set both or neither',
    );
    return null;
  }
  return { accessKeyId, secretAccessKey, sessionToken };
}

/**
 * Reads `storage = { driver = … }` at `path`; null (with problems) when it is unusable.
 * `isCredentialAllowed` also accepts key pairs in the table (S3 `access_key_id`/
 * `secret_access_key`/`session_token`, Azure `account_key`).
 */
export function readStorageSource(
  r: Reader,
  v: unknown,
  path: KeyPath,
  isCredentialAllowed = false,
): GatewayStorageSource | null {
  const t = r.table(v, path, 'a table ({ driver = "s3", bucket = "…" })');
  if (t === null) return null;
  const driver = r.string(t, 'driver', path, true);
  if (driver === null) return null;
  if (!(DRIVERS as string[]).includes(driver)) {
    const hint = didYouMean(driver, DRIVERS);
    r.invalid(
      [...path, 'driver'],
      `unknown storage driver ${JSON.stringify(driver)} (one of ${DRIVERS.join(', ')})`,
      hint === null ? undefined : `did you mean "${hint}"?`,
    );
    return null;
  }
  const d = driver as GatewayStorageSource['driver'];
  r.keys(
    t,
    path,
    isCredentialAllowed ? [...DRIVER_KEYS[d], ...CREDENTIAL_KEYS[d]] : DRIVER_KEYS[d],
  );
  const prefix = readPrefix(r, t, path);
  switch (d) {
    case 'local': {
      const root = r.string(t, 'root', path, true);
      return root === null ? null : { driver: d, root, prefix };
    }
    case 's3': {
      const bucket = r.string(t, 'bucket', path, true);
      const endpoint = readEndpoint(r, t, path);
      const region = r.string(t, 'region', path);
      const forcePathStyle = r.bool(t, 'force_path_style', path);
      // The gateway's sources keep their shape; only credential-reading callers get the field.
      const extra = isCredentialAllowed ? { credentials: readS3Credentials(r, t, path) } : {};
      if (bucket === null) return null;
      return { driver: d, bucket, endpoint, region, forcePathStyle, prefix, ...extra };
    }
    case 'azure-blob': {
      const accountName = r.string(t, 'account_name', path, true);
      const container = r.string(t, 'container', path, true);
      const endpoint = readEndpoint(r, t, path);
      const accountKeyEnv = r.string(t, 'account_key_env', path) ?? 'AZURE_STORAGE_KEY';
      if (!ENV_NAME.test(accountKeyEnv)) {
        r.invalid([...path, 'account_key_env'], 'must be an environment variable name');
      }
      const extra = isCredentialAllowed ? { accountKey: r.string(t, 'account_key', path) } : {};
      if (accountName === null || container === null) return null;
      return { driver: d, accountName, container, endpoint, accountKeyEnv, prefix, ...extra };
    }
  }
}
