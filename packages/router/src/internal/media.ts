import { type Request, RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** The media type of a Content-Type value, lower-cased, without parameters (RFC 9110 §8.3.1). */
export function mediaType(contentType: string | null): string {
  if (contentType === null) return '';
  const semi = contentType.indexOf(';');
  return (semi === -1 ? contentType : contentType.slice(0, semi)).trim().toLowerCase();
}

/** True for `application/json` and `application/*+json` (RFC 6839 §3.1). */
export function isJsonType(type: string): boolean {
  return type === 'application/json' || (type.startsWith('application/') && type.endsWith('+json'));
}

/** The 415 error for a Content-Type an extractor cannot read. */
export function unsupportedMediaType(req: Pick<Request, 'headers'>, expected: string): RwsError {
  const got = mediaType(req.headers.get('content-type'));
  return new RwsError(
    ERROR_CODES.UNSUPPORTED_MEDIA_TYPE,
    `expected Content-Type ${expected}, got ${got === '' ? 'none' : JSON.stringify(got.slice(0, 100))}`,
    { status: 415 },
  );
}
