/**
 * Every error code @rws/middleware throws. docs/errors.md has one row per code; a test keeps
 * the two in step.
 */
export const ERROR_CODES = {
  STATIC_INVALID_OPTIONS: 'RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS',
  STATIC_ROOT_NOT_FOUND: 'RWS_MIDDLEWARE_STATIC_ROOT_NOT_FOUND',
  CORS_INVALID_OPTIONS: 'RWS_MIDDLEWARE_CORS_INVALID_OPTIONS',
  ACCESS_LOG_INVALID_OPTIONS: 'RWS_MIDDLEWARE_ACCESS_LOG_INVALID_OPTIONS',
  REQUEST_ID_INVALID_OPTIONS: 'RWS_MIDDLEWARE_REQUEST_ID_INVALID_OPTIONS',
  RATE_LIMIT_INVALID_OPTIONS: 'RWS_MIDDLEWARE_RATE_LIMIT_INVALID_OPTIONS',
  RATE_LIMIT_STORE_FAILED: 'RWS_MIDDLEWARE_RATE_LIMIT_STORE_FAILED',
  AUTH_INVALID_OPTIONS: 'RWS_MIDDLEWARE_AUTH_INVALID_OPTIONS',
  IP_FILTER_INVALID_OPTIONS: 'RWS_MIDDLEWARE_IP_FILTER_INVALID_OPTIONS',
  REWRITE_INVALID_OPTIONS: 'RWS_MIDDLEWARE_REWRITE_INVALID_OPTIONS',
  TIMEOUT_INVALID_OPTIONS: 'RWS_MIDDLEWARE_TIMEOUT_INVALID_OPTIONS',
  BODY_LIMIT_INVALID_OPTIONS: 'RWS_MIDDLEWARE_BODY_LIMIT_INVALID_OPTIONS',
  BODY_LIMIT_EXCEEDED: 'RWS_MIDDLEWARE_BODY_LIMIT_EXCEEDED',
  CACHE_INVALID_OPTIONS: 'RWS_MIDDLEWARE_CACHE_INVALID_OPTIONS',
  COMPRESS_INVALID_OPTIONS: 'RWS_MIDDLEWARE_COMPRESS_INVALID_OPTIONS',
  SECURITY_HEADERS_INVALID_OPTIONS: 'RWS_MIDDLEWARE_SECURITY_HEADERS_INVALID_OPTIONS',
  COOKIES_INVALID_OPTIONS: 'RWS_MIDDLEWARE_COOKIES_INVALID_OPTIONS',
  SESSION_INVALID_OPTIONS: 'RWS_MIDDLEWARE_SESSION_INVALID_OPTIONS',
  SESSION_NOT_INSTALLED: 'RWS_MIDDLEWARE_SESSION_NOT_INSTALLED',
  SESSION_STORE_FAILED: 'RWS_MIDDLEWARE_SESSION_STORE_FAILED',
  CSRF_INVALID_OPTIONS: 'RWS_MIDDLEWARE_CSRF_INVALID_OPTIONS',
  WEBHOOKS_INVALID_OPTIONS: 'RWS_MIDDLEWARE_WEBHOOKS_INVALID_OPTIONS',
  PASSWORDS_INVALID_OPTIONS: 'RWS_MIDDLEWARE_PASSWORDS_INVALID_OPTIONS',
  PASSWORDS_INVALID_HASH: 'RWS_MIDDLEWARE_PASSWORDS_INVALID_HASH',
  FORWARD_AUTH_INVALID_OPTIONS: 'RWS_MIDDLEWARE_FORWARD_AUTH_INVALID_OPTIONS',
  TRACING_INVALID_OPTIONS: 'RWS_MIDDLEWARE_TRACING_INVALID_OPTIONS',
  METRICS_INVALID_OPTIONS: 'RWS_MIDDLEWARE_METRICS_INVALID_OPTIONS',
  METRICS_COLLECTOR_FAILED: 'RWS_MIDDLEWARE_METRICS_COLLECTOR_FAILED',
} as const;

/** A one-line description of each code, keyed by the code string. */
export const ERROR_DESCRIPTIONS: Readonly<Record<string, string>> = {
  RWS_MIDDLEWARE_STATIC_INVALID_OPTIONS:
    'serveStatic() was given an option of the wrong type or an out-of-range value.',
  RWS_MIDDLEWARE_STATIC_ROOT_NOT_FOUND:
    'The root directory given to serveStatic() does not exist or is not a directory.',
  RWS_MIDDLEWARE_CORS_INVALID_OPTIONS:
    'cors() or its update() was given an invalid option (bad origin, method, header name or max-age).',
  RWS_MIDDLEWARE_ACCESS_LOG_INVALID_OPTIONS:
    'accessLog() was given an unknown format or an option of the wrong type, or defineLogFields() keys that are not distinct, non-integer-like strings.',
  RWS_MIDDLEWARE_REQUEST_ID_INVALID_OPTIONS:
    'requestId() was given an invalid header name or generator, or the generator returned an invalid id.',
  RWS_MIDDLEWARE_RATE_LIMIT_INVALID_OPTIONS:
    'rateLimit() was given an invalid limit, window, key, algorithm or store.',
  RWS_MIDDLEWARE_RATE_LIMIT_STORE_FAILED:
    'The rate-limit store (e.g. Redis) failed; the request is answered 503 unless failOpen is set.',
  RWS_MIDDLEWARE_AUTH_INVALID_OPTIONS:
    'basicAuth(), bearerAuth() or jwtAuth() was given an invalid option, or a secret, key, token or env var it names is missing (auth fails closed).',
  RWS_MIDDLEWARE_IP_FILTER_INVALID_OPTIONS:
    'ipFilter() was given an entry that is not an IPv4/IPv6 address or CIDR range.',
  RWS_MIDDLEWARE_REWRITE_INVALID_OPTIONS:
    'rewrite() was given an unknown rule type, an invalid regular expression, header name or status.',
  RWS_MIDDLEWARE_TIMEOUT_INVALID_OPTIONS:
    'timeout() was given a deadline that is not a positive integer number of milliseconds.',
  RWS_MIDDLEWARE_BODY_LIMIT_INVALID_OPTIONS:
    'bodyLimit() was given a maximum that is not a non-negative integer number of bytes.',
  RWS_MIDDLEWARE_BODY_LIMIT_EXCEEDED:
    "A request body grew past the route's bodyLimit() while it was being read (413).",
  RWS_MIDDLEWARE_CACHE_INVALID_OPTIONS:
    'cache() was given an invalid TTL, size bound or Vary header list.',
  RWS_MIDDLEWARE_COMPRESS_INVALID_OPTIONS:
    'compress() was given an unknown or unavailable encoding, a bad threshold, filter or etag mode.',
  RWS_MIDDLEWARE_SECURITY_HEADERS_INVALID_OPTIONS:
    'securityHeaders() was given a header value with control characters, a bad CSP directive or source, HSTS max-age, frame option, referrer or permissions policy.',
  RWS_MIDDLEWARE_COOKIES_INVALID_OPTIONS:
    'createCookieKeys() was given no secrets or a secret shorter than 32 bytes.',
  RWS_MIDDLEWARE_SESSION_INVALID_OPTIONS:
    'session() or a session store was given missing or short keys, a bad TTL, cookie attribute, store or Redis client.',
  RWS_MIDDLEWARE_SESSION_NOT_INSTALLED:
    'getSession() was called for a request that did not pass through session() (500).',
  RWS_MIDDLEWARE_SESSION_STORE_FAILED:
    'The session store (e.g. Redis or SQL) failed or returned a record that is not JSON (500).',
  RWS_MIDDLEWARE_CSRF_INVALID_OPTIONS:
    'csrf() was given an invalid cookie name or attribute, header name or form field.',
  RWS_MIDDLEWARE_WEBHOOKS_INVALID_OPTIONS:
    'verifyWebhookSignature() or webhookSignature() was given an unknown provider, no secret, or a bad tolerance or size limit.',
  RWS_MIDDLEWARE_PASSWORDS_INVALID_OPTIONS:
    'hashPassword(), needsRehash() or generateToken() was given an empty password, an unknown or unavailable algorithm, or a parameter out of range.',
  RWS_MIDDLEWARE_PASSWORDS_INVALID_HASH:
    'verifyPassword() or needsRehash() was given a stored hash that is not a supported PHC string (500).',
  RWS_MIDDLEWARE_FORWARD_AUTH_INVALID_OPTIONS:
    'forwardAuth() was given an address that is not an http(s) URL, a bad timeout, header name or fetch function.',
  RWS_MIDDLEWARE_TRACING_INVALID_OPTIONS:
    'tracing() was given an opentelemetry option that is not the @opentelemetry/api module, a tracerProvider or propagator that is not one or comes without opentelemetry, or a sample that is not a function.',
  RWS_MIDDLEWARE_METRICS_INVALID_OPTIONS:
    'createMetrics() or setCollectors() was given collectors that are not functions, or an onCollectorError that is not a function.',
  RWS_MIDDLEWARE_METRICS_COLLECTOR_FAILED:
    'A metrics collector threw, rejected, returned malformed Prometheus text or reused a built-in family; that scrape leaves its families out.',
};
