/**
 * A static action with `storage = { driver = … }`: the bucket's objects served by
 * `serveStorage` (validators, ranges, HEAD, index objects as for local files).
 */
import { statSync } from 'node:fs';
import { type Handler, Headers, isRwsError } from '@rws/core';
import { serveStorage } from '@rws/middleware/static';
import type { Storage } from '@rws/storage';
import { createAzureBlobStorage } from '@rws/storage/drivers/azure-blob';
import { createLocalStorage } from '@rws/storage/drivers/local';
import { createS3Storage } from '@rws/storage/drivers/s3';
import type { KeyPath } from '../../config/config-problem.js';
import type { GatewayStaticAction, GatewayStorageSource } from '../../config/gateway-config.js';
import type { BuildContext } from './build-middleware.js';

function openStorage(
  source: GatewayStorageSource,
  ctx: BuildContext,
  path: KeyPath,
): Storage | null {
  switch (source.driver) {
    case 'local': {
      const root = ctx.resolvePath(source.root);
      if (!statSync(root, { throwIfNoEntry: false })?.isDirectory()) {
        ctx.problem([...path, 'root'], `${source.root} is not a directory`);
        return null;
      }
      return createLocalStorage({ root });
    }
    case 's3':
      // Credentials and region default to the gateway's environment, never the file.
      return createS3Storage({
        bucket: source.bucket,
        endpoint: source.endpoint ?? undefined,
        region: source.region ?? undefined,
        forcePathStyle: source.forcePathStyle ?? undefined,
        env: ctx.env,
      });
    case 'azure-blob': {
      const accountKey = ctx.env[source.accountKeyEnv];
      if (accountKey === undefined || accountKey === '') {
        ctx.problem(
          [...path, 'account_key_env'],
          `environment variable ${source.accountKeyEnv} is not set or empty`,
        );
        return null;
      }
      return createAzureBlobStorage({
        accountName: source.accountName,
        container: source.container,
        endpoint: source.endpoint ?? undefined,
        accountKey,
      });
    }
  }
}

/**
 * The handler of a bucket-backed static action, and the store it opened (closed with its
 * generation); null with a problem at `path` when the driver refuses its options.
 */
export function createStorageRoute(
  action: GatewayStaticAction & { readonly storage: GatewayStorageSource },
  path: KeyPath,
  ctx: BuildContext,
): { readonly handler: Handler; readonly storage: Storage } | null {
  const at = [...path, 'storage'];
  let storage: Storage | null;
  try {
    storage = openStorage(action.storage, ctx, at);
    if (storage === null) return null;
  } catch (err) {
    if (!isRwsError(err)) throw err;
    ctx.problem(at, err.message);
    return null;
  }
  const mw = serveStorage({
    storage,
    prefix: action.storage.prefix,
    index: action.index,
    fallthrough: false,
  });
  const notFound: Handler = () => ({
    status: 404,
    headers: new Headers({ 'content-type': 'text/plain; charset=utf-8' }),
    body: 'Not Found\n',
  });
  return { handler: (req) => mw.handle(req, notFound), storage };
}
