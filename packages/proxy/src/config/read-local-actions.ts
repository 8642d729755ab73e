/** `type = "static"`, `"redirect"` and `"respond"`: actions answered by the gateway itself. */
import { encodeHeaderUrl } from '@rws/core';
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import { REDIRECT_STATUSES, type RedirectStatus } from './checks.js';
import type { GatewayAction } from './gateway-config.js';
import type { ActionInput } from './read-action.js';
import { readStorageSource } from './read-storage-source.js';

export function readStaticAction({ r, merged, at }: ActionInput): GatewayAction {
  const storage =
    merged['storage'] === undefined
      ? null
      : readStorageSource(r, merged['storage'], [...at('storage'), 'storage']);
  const hasStorage = merged['storage'] !== undefined;
  // Exactly one source: a directory (`root`) or a bucket (`storage`).
  const root = r.string(merged, 'root', at('root'), !hasStorage);
  if (hasStorage && root !== null) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...at('root'), 'root'],
      'root and storage are both set; a static action serves one of them',
    );
  }
  const index = r.strings(merged, 'index', at('index'), true) ?? ['index.html'];
  for (const [i, name] of index.entries()) {
    if (name === '' || name.includes('/') || name.includes('\\')) {
      r.invalid([...at('index'), 'index', i], 'must be a file name without "/"');
    }
  }
  const directoryListing = r.bool(merged, 'directory_listing', at('directory_listing')) ?? false;
  if (hasStorage && directoryListing) {
    r.invalid(
      [...at('directory_listing'), 'directory_listing'],
      'a bucket is not listed; directory_listing needs root',
    );
  }
  return { type: 'static', root: root ?? '', index, directoryListing, storage };
}

export function readRedirectAction({ r, merged, at }: ActionInput): GatewayAction {
  const location = r.string(merged, 'location', at('location'), true);
  if (location !== null && /[\r\n\0]/.test(location)) {
    r.invalid([...at('location'), 'location'], 'must not contain CR, LF or NUL');
  }
  const status = r.int(merged, 'status', at('status'), 100, 999) ?? 301;
  if (!(REDIRECT_STATUSES as readonly number[]).includes(status)) {
    r.invalid(
      [...at('status'), 'status'],
      `a redirect status is one of ${REDIRECT_STATUSES.join(', ')}, got ${status}`,
    );
  }
  // A header value is a byte string: non-ASCII in the configured URL goes out percent-encoded.
  return {
    type: 'redirect',
    location: encodeHeaderUrl(location ?? ''),
    status: status as RedirectStatus,
  };
}

export function readRespondAction({ r, merged, at }: ActionInput): GatewayAction {
  const contentType =
    r.string(merged, 'content_type', at('content_type')) ?? 'text/plain; charset=utf-8';
  // A header value: no line break, and a byte string (no char above U+00FF).
  if (/[\r\n\0]/.test(contentType))
    r.invalid([...at('content_type'), 'content_type'], 'must not contain CR, LF or NUL');
  else if (/[\u0100-\uffff]/.test(contentType))
    r.invalid(
      [...at('content_type'), 'content_type'],
      'must not contain a character above U+00FF (a header value is a byte string)',
    );
  return {
    type: 'respond',
    status: r.int(merged, 'status', at('status'), 200, 599) ?? 200,
    body: r.string(merged, 'body', at('body')) ?? '',
    contentType,
  };
}
