/**
 * The paths the `middleware` suite's servers answer, each behind a different middleware set,
 * so one case per path measures one middleware's cost (compare with `/bare`) and `/all` the
 * issue #13 stack: request id + CORS + rate limit (memory) + compression of a body below the
 * threshold. Every server answers `Hello, World!` as text/plain on each of them.
 */
export const MIDDLEWARE_PATHS = [
  '/bare',
  '/request-id',
  '/cors',
  '/rate-limit',
  '/compress',
  '/all',
] as const;

/** Sent with every request: an allowed CORS origin, and an Accept-Encoding to negotiate. */
export const MIDDLEWARE_REQUEST_HEADERS: Readonly<Record<string, string>> = {
  origin: 'https://app.example',
  'accept-encoding': 'gzip, br',
};

/** The rate limit every server applies: high enough that the load never reaches it. */
export const RATE_LIMIT = { max: 1_000_000_000, windowMs: 60_000 } as const;
