/**
 * `requestId()`: gives every request an id — the client's or proxy's `X-Request-Id` when it
 * is safe to reuse, else a fresh UUID — visible to the handler as a request header and sent
 * back as a response header, so log lines on both sides can be correlated.
 *
 * @module
 */
import {
  type Handler,
  Headers,
  isPromise,
  isToken,
  type MaybePromise,
  type Middleware,
  type Request,
  type Response,
  RwsError,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { fieldValue } from '../internal/field-value.js';
import { isVisibleAscii } from '../internal/is-visible-ascii.js';
import { randomUuid } from '../internal/random-uuid.js';

/** The longest incoming id reused; longer ones are replaced. */
export const MAX_REQUEST_ID_LENGTH = 200;

/** Options of `requestId()`. */
export interface RequestIdOptions {
  /** The header carrying the id, on the request and on the response. Default `x-request-id`. */
  header?: string | undefined;
  /**
   * Makes a new id. Must return 1–200 visible ASCII characters. Default: a random (version 4) UUID, as `crypto.randomUUID()` makes.
   */
  generator?: ((req: Request) => string) | undefined;
  /**
   * Reuse a valid incoming id (default true). Set false when clients are not trusted to pick
   * ids, e.g. when no proxy in front of rws sets them.
   */
  reuseIncoming?: boolean | undefined;
}

function fail(message: string, status?: number): never {
  throw new RwsError(
    ERROR_CODES.REQUEST_ID_INVALID_OPTIONS,
    `requestId: ${message}`,
    status === undefined ? {} : { status },
  );
}

/**
 * True when `id` can be reused and echoed: 1–200 visible ASCII characters (0x21–0x7e), so
 * it cannot split a log line, carry spaces or a list, or grow without bound.
 */
export function isValidRequestId(id: string): boolean {
  return isVisibleAscii(id, MAX_REQUEST_ID_LENGTH);
}

/**
 * Creates the request-id middleware. The id is written into the request's own headers
 * (replacing an invalid incoming value), so handlers and later middleware read it with
 * `req.headers.get('x-request-id')`; the response gets the same header. An `HttpError`
 * thrown by `next()` gets it in its headers, so error responses carry it too.
 *
 * @example
 * ```ts
 * import { requestId } from '@rws/middleware/request-id';
 *
 * const ids = requestId();
 * // in a handler after it: const id = req.headers.get('x-request-id');
 * ```
 */
export function requestId(options: RequestIdOptions = {}): Middleware {
  if (typeof options !== 'object' || options === null) fail('options must be an object');
  const header = options.header ?? 'x-request-id';
  if (typeof header !== 'string' || !isToken(header)) {
    fail(`header must be a header name, got ${JSON.stringify(header)}`);
  }
  const name = header.toLowerCase();
  const generator = options.generator ?? null;
  if (generator !== null && typeof generator !== 'function') fail('generator must be a function');
  const reuse = options.reuseIncoming ?? true;
  if (typeof reuse !== 'boolean') fail('reuseIncoming must be a boolean');

  const generate = (req: Request): string => {
    if (generator === null) return randomUuid();
    const id = generator(req);
    if (typeof id !== 'string' || !isValidRequestId(id)) {
      fail('generator must return 1-200 visible ASCII characters', 500);
    }
    return id;
  };

  const tag = (res: Response, id: string): Response => {
    setId(res.headers, name, id);
    return res;
  };

  return {
    handle(req: Request, next: Handler): MaybePromise<Response> {
      const incoming = reuse ? fieldValue(req.headers, name) : null;
      let id: string;
      if (incoming !== null && isValidRequestId(incoming)) {
        id = incoming;
      } else {
        id = generate(req);
        setId(req.headers, name, id);
      }
      let res: MaybePromise<Response>;
      try {
        res = next(req);
      } catch (err) {
        throw tagError(err, name, id);
      }
      if (res instanceof Promise) {
        // The id is set by a reaction beside the caller's, on the handler's own promise: it
        // was registered first, so it runs before the caller sees the response or the error.
        // Returning the `.then`'s promise instead costs a promise resolved with the response
        // (a lookup of `then` on it) per request (issue #10). The reaction never throws, so
        // its own promise never rejects unhandled; a response without `headers` is left to
        // the transport, which rejects it.
        void res.then(
          (r: Response) => tagQuietly(r, name, id),
          (err: unknown) => tagError(err, name, id),
        );
        return res;
      }
      if (isPromise(res)) {
        return res.then(
          (r) => tag(r, id),
          (err: unknown) => {
            throw tagError(err, name, id);
          },
        );
      }
      return tag(res, id);
    },
  };
}

/** `tag` for a reaction beside the response's consumer: must not throw (see `handle`). */
function tagQuietly(res: Response, name: string, id: string): void {
  try {
    setId(res.headers, name, id);
  } catch {
    // Not a response (no `headers`): the transport answers it with an error of its own.
  }
}

function tagError(err: unknown, name: string, id: string): unknown {
  const headers = (err as { headers?: unknown } | null)?.headers;
  if (headers instanceof Headers) setId(headers, name, id);
  return err;
}

/**
 * Sets the id without validating it again: every id here passed `isValidRequestId` (visible
 * ASCII, stricter than a field value) or is a UUID made here, and `name` is a lower-case
 * token. A Headers of an older copy of core has no `setTrusted`, and gets `set`.
 */
function setId(headers: Headers, name: string, id: string): void {
  if (typeof headers.setTrusted === 'function') headers.setTrusted(name, id);
  else headers.set(name, id);
}
