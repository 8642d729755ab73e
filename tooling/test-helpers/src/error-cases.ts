/**
 * The table every layer that turns a thrown value into a response is tested against (core's
 * `errorInfo`/`errorResponse`/`toFetchHandler`, the HTTP/1.1 server, the App, metrics), so a
 * layer that drifts from the one rule fails its own test. Error classes are injected because
 * this package does not depend on @rws/core (core's tests use it).
 */

/** The error classes of @rws/core the table builds its cases with. */
export interface ErrorClasses {
  HttpError: new (
    status: number,
    message?: string,
    options?: { expose?: boolean; headers?: Record<string, string> },
  ) => Error;
  RwsError: new (code: string, message: string, options?: { status?: number }) => Error;
}

/** One thrown value and the response every layer must make of it. */
export interface ErrorCase {
  readonly name: string;
  /** Builds a fresh thrown value (errors are not shared between tests). */
  readonly thrown: () => unknown;
  readonly status: number;
  /** The message the client sees: the error's own when exposed, else the reason phrase. */
  readonly message: string;
  /** Whether the error's own message is shown. */
  readonly isExposed: boolean;
  /** Header fields the response must carry (from the error's `headers`). */
  readonly headers: Readonly<Record<string, string>>;
}

/** The cases; see `ErrorCase`. */
export function errorResponseCases({ HttpError, RwsError }: ErrorClasses): ErrorCase[] {
  return [
    {
      name: 'HttpError 401 with WWW-Authenticate',
      thrown: () =>
        new HttpError(401, 'token expired', { headers: { 'www-authenticate': 'Bearer' } }),
      status: 401,
      message: 'token expired',
      isExposed: true,
      headers: { 'www-authenticate': 'Bearer' },
    },
    {
      name: 'a plain Error with status 404',
      thrown: () => Object.assign(new Error('no such item'), { status: 404 }),
      status: 404,
      message: 'no such item',
      isExposed: true,
      headers: {},
    },
    {
      name: 'an http-errors style error: statusCode 429 and a headers object',
      thrown: () =>
        Object.assign(new Error('slow down'), { statusCode: 429, headers: { 'retry-after': '5' } }),
      status: 429,
      message: 'slow down',
      isExposed: true,
      headers: { 'retry-after': '5' },
    },
    {
      name: 'a 404 that asks not to be exposed',
      thrown: () => Object.assign(new Error('secret path'), { status: 404, expose: false }),
      status: 404,
      message: 'Not Found',
      isExposed: false,
      headers: {},
    },
    {
      name: 'a plain Error',
      thrown: () => new Error('db password is hunter2'),
      status: 500,
      message: 'Internal Server Error',
      isExposed: false,
      headers: {},
    },
    {
      name: 'an RwsError with status 503',
      thrown: () => new RwsError('RWS_TEST_DOWN', 'pool exhausted at 10.0.0.7', { status: 503 }),
      status: 503,
      message: 'Service Unavailable',
      isExposed: false,
      headers: {},
    },
    {
      name: 'an exposed HttpError 503 with Retry-After',
      thrown: () =>
        new HttpError(503, 'down for maintenance', {
          expose: true,
          headers: { 'retry-after': '60' },
        }),
      status: 503,
      message: 'down for maintenance',
      isExposed: true,
      headers: { 'retry-after': '60' },
    },
    {
      name: 'a 3xx status is no error status',
      thrown: () => Object.assign(new Error('moved'), { status: 302 }),
      status: 500,
      message: 'Internal Server Error',
      isExposed: false,
      headers: {},
    },
  ];
}
