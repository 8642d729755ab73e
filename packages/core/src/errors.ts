/**
 * Every error code @rws/core throws. docs/errors.md lists the same codes; a test keeps the two
 * in step.
 */
export const ERROR_CODES = {
  INVALID_HEADER: 'RWS_CORE_INVALID_HEADER',
  BODY_TOO_LARGE: 'RWS_CORE_BODY_TOO_LARGE',
  BODY_INVALID_JSON: 'RWS_CORE_BODY_INVALID_JSON',
  BODY_USED: 'RWS_CORE_BODY_USED',
  HTTP_ERROR: 'RWS_CORE_HTTP_ERROR',
  INVALID_STATUS: 'RWS_CORE_INVALID_STATUS',
  INVALID_RANGE: 'RWS_CORE_INVALID_RANGE',
  NEXT_CALLED_TWICE: 'RWS_CORE_NEXT_CALLED_TWICE',
  COOKIE_INVALID: 'RWS_CORE_COOKIE_INVALID',
  SSE_INVALID: 'RWS_CORE_SSE_INVALID',
} as const;

/** A code @rws/core throws. */
export type CoreErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<CoreErrorCode, string>> = {
  RWS_CORE_INVALID_HEADER:
    "A header name is not an RFC 9110 token, or a value is not a string, contains CR, LF or NUL, or has a character above 0xFF (values are byte strings; the HPACK and QPACK encoders refuse such a char in any field, a client's :method, :path or :authority included).",
  RWS_CORE_BODY_TOO_LARGE: 'A request body is larger than the read limit (413).',
  RWS_CORE_BODY_INVALID_JSON: 'A request body read with json() is not valid JSON (400).',
  RWS_CORE_BODY_USED: 'A request body was read a second time; bodies are one-shot streams.',
  RWS_CORE_HTTP_ERROR: 'An HttpError thrown by a handler or middleware; carries its own status.',
  RWS_CORE_INVALID_STATUS:
    'A response or HttpError status is out of range (redirect needs 3xx, HttpError 4xx/5xx, sendInformational 1xx other than 101).',
  RWS_CORE_INVALID_RANGE: 'A file() byte range has a negative, non-integer or reversed bound.',
  RWS_CORE_NEXT_CALLED_TWICE: 'A middleware called next() more than once for one request.',
  RWS_CORE_COOKIE_INVALID:
    'A cookie name, value or attribute (Domain, Path, Expires, Max-Age, SameSite, Partitioned, Priority, prefix rule) is invalid.',
  RWS_CORE_SSE_INVALID:
    'A server-sent event has an event type or id with a line break, or an invalid retry.',
};
