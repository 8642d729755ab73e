/** @module */

export type { H3ErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS, QuicError, TRANSPORT_ERROR } from './errors.js';
