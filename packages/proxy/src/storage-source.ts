/**
 * `{ driver = "s3" | "azure-blob" | "local", … }` tables: one reader and one opener shared by
 * the gateway's bucket-backed static routes and the `rws` binary's `[acme.storage]`, so a
 * bucket is described the same way everywhere.
 */
import { statSync } from 'node:fs';
import type { Storage } from '@rws/storage';
import { createAzureBlobStorage } from '@rws/storage/drivers/azure-blob';
import { createLocalStorage } from '@rws/storage/drivers/local';
import { createS3Storage } from '@rws/storage/drivers/s3';
import { type KeyPath, keyPathName } from './config/config-problem.js';
import type { GatewayStorageSource } from './config/gateway-config.js';
import { readStorageSource } from './config/read-storage-source.js';
import { Reader } from './config/reader.js';

/** Options of `parseStorageSource`. */
export interface ParseStorageSourceOptions {
  /**
   * Accept key pairs in the table (S3 `access_key_id`/`secret_access_key`/`session_token`,
   * Azure `account_key`). Default false: the gateway file never holds secrets.
   */
  isCredentialAllowed?: boolean | undefined;
}

/** A problem of a storage table: the key under the table (`bucket`, or `` for the table). */
export interface StorageSourceProblem {
  readonly key: string;
  readonly message: string;
  readonly hint?: string | undefined;
}

/**
 * Validates a parsed TOML `{ driver = … }` table: every problem at once (unknown keys with a
 * did-you-mean, missing or malformed values); `source` is null when any problem is found.
 */
export function parseStorageSource(
  value: unknown,
  options: ParseStorageSourceOptions = {},
): { source: GatewayStorageSource | null; problems: StorageSourceProblem[] } {
  const r = new Reader(null, undefined);
  const source = readStorageSource(r, value, [], options.isCredentialAllowed === true);
  const problems = r.problems.map((p) => ({ key: p.key, message: p.message, hint: p.hint }));
  return { source: problems.length === 0 ? source : null, problems };
}

/** Options of `openStorageSource`. */
export interface OpenStorageSourceOptions {
  /** Environment for S3 keys and region and `account_key_env`. Default `process.env`. */
  env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Resolves a relative local `root`. Default: against the working directory. */
  resolvePath?: ((path: string) => string) | undefined;
}

/**
 * Opens the `Storage` a source describes, or names the key that keeps it from opening (a local
 * root that is not a directory, an Azure account key that is not set). A driver refusing its
 * options throws its own `RwsError`.
 */
export function openStorageSource(
  source: GatewayStorageSource,
  options: OpenStorageSourceOptions = {},
): { storage: Storage } | { problem: StorageSourceProblem } {
  const env = options.env ?? process.env;
  const problem = (path: KeyPath, message: string) => ({
    problem: { key: keyPathName(path), message },
  });
  switch (source.driver) {
    case 'local': {
      const root = options.resolvePath?.(source.root) ?? source.root;
      if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
        return problem(['root'], `${source.root} is not a directory`);
      }
      return { storage: createLocalStorage({ root }) };
    }
    case 's3':
      // Without keys in the table, credentials and region come from the environment.
      return {
        storage: createS3Storage({
          bucket: source.bucket,
          endpoint: source.endpoint ?? undefined,
          region: source.region ?? undefined,
          forcePathStyle: source.forcePathStyle ?? undefined,
          credentials:
            source.credentials == null
              ? undefined
              : {
                  accessKeyId: source.credentials.accessKeyId,
                  secretAccessKey: source.credentials.secretAccessKey,
                  ...(source.credentials.sessionToken === null
                    ? {}
                    : { sessionToken: source.credentials.sessionToken }),
                },
          env,
        }),
      };
    case 'azure-blob': {
      const accountKey = source.accountKey ?? env[source.accountKeyEnv];
      if (accountKey === undefined || accountKey === '') {
        return problem(
          ['account_key_env'],
          `environment variable ${source.accountKeyEnv} is not set or empty`,
        );
      }
      return {
        storage: createAzureBlobStorage({
          accountName: source.accountName,
          container: source.container,
          endpoint: source.endpoint ?? undefined,
          accountKey,
        }),
      };
    }
  }
}
