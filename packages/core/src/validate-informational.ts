import { Headers, type HeadersInit } from './headers.js';
import { RwsError } from './rws-error.js';

/**
 * Checks an informational response a handler asked for with `req.sendInformational()` and
 * returns its fields as `Headers`. Transports call it before writing anything, so every
 * transport refuses the same things: a status outside 100-199 and 101, whose protocol switch
 * only `req.upgrade.accept()` may make (RFC 9110 §15.2.2).
 *
 * @throws RwsError `RWS_CORE_INVALID_STATUS` for the status, `RWS_CORE_INVALID_HEADER` for a field.
 * @see RFC 9110 §15.2
 */
export function validateInformational(status: number, headers?: HeadersInit): Headers {
  if (!Number.isInteger(status) || status < 100 || status > 199 || status === 101) {
    throw new RwsError(
      'RWS_CORE_INVALID_STATUS',
      `an informational status must be an integer in 100-199 other than 101, got ${String(status)}`,
      { status: 500 },
    );
  }
  return headers instanceof Headers ? headers : new Headers(headers);
}
