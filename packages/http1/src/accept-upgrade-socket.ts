import type { Socket } from 'node:net';
import { type HeadersInit, RwsError, type Upgrade } from '@rws/core';
import { ERROR_CODES } from './errors.js';
import { H1Upgrade } from './internal/server-upgrade.js';

/**
 * Accepts an HTTP/1.1 `Upgrade` offered by @rws/http1 and hands over the socket itself rather
 * than a `Tunnel`, for a codec that runs on sockets (h2c, RFC 7540 §3.2). Writes the 101 with
 * `headers`; returns the paused socket and the bytes the client sent after the request head.
 * Throws `RWS_HTTP1_UPGRADE_UNAVAILABLE` when `upgrade` is not @rws/http1's or can no longer
 * be accepted.
 */
export function acceptUpgradeSocket(
  upgrade: Upgrade,
  headers?: HeadersInit,
): { socket: Socket; head: Buffer } {
  if (!(upgrade instanceof H1Upgrade)) {
    throw new RwsError(ERROR_CODES.UPGRADE_UNAVAILABLE, 'the upgrade is not an HTTP/1.1 one');
  }
  return upgrade.acceptSocket(headers);
}
