/**
 * A static action with `storage = { driver = … }`: the bucket's objects served by
 * `serveStorage` (validators, ranges, HEAD, index objects as for local files).
 */
import { type Handler, Headers, isRwsError } from '@rws/core';
import { serveStorage } from '@rws/middleware/static';
import type { Storage } from '@rws/storage';
import type { KeyPath } from '../../config/config-problem.js';
import type { GatewayStaticAction, GatewayStorageSource } from '../../config/gateway-config.js';
import { openStorageSource } from '../../storage-source.js';
import type { BuildContext } from './build-middleware.js';

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
    const opened = openStorageSource(action.storage, ctx);
    if ('problem' in opened) {
      ctx.problem([...at, opened.problem.key], opened.problem.message);
      return null;
    }
    storage = opened.storage;
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
