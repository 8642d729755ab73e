/**
 * `csrf()`: cross-site request forgery protection by double submit. A random token lives in a
 * `SameSite=Strict` cookie; every unsafe request must send the same token back in a header or
 * form field, which a page on another site can neither read nor set.
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import {
  Body,
  type CookieOptions,
  type Handler,
  Headers,
  type Middleware,
  parseCookies,
  type Request,
  type Response,
  serializeCookie,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { safeEqual } from '../internal/crypto/keys.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions } from '../internal/fail.js';

/** Options of `csrf()`. */
export interface CsrfOptions {
  /** Cookie holding the token. Default `csrf_token`. */
  cookieName?: string | undefined;
  /** Request header carrying the token (for fetch/XHR). Default `x-csrf-token`. */
  headerName?: string | undefined;
  /**
   * Field of an `application/x-www-form-urlencoded` body carrying the token (HTML forms).
   * Default `_csrf`; false to accept the header only. Multipart forms must use the header.
   */
  formField?: string | false | undefined;
  /** Methods that need no token. Default GET, HEAD, OPTIONS, TRACE (RFC 9110 §9.2.1 safe methods). */
  safeMethods?: readonly string[] | undefined;
  /**
   * Cookie attributes. Defaults: `Path=/`, `SameSite=Strict`, Secure on https, and no
   * HttpOnly so page scripts can copy the token into the header.
   */
  cookie?:
    | (Omit<CookieOptions, 'encode' | 'secure'> & { secure?: boolean | 'auto' | undefined })
    | undefined;
}

const tokenOf = new WeakMap<Request, string>();
const TOKEN_PATTERN = /^[\w-]{43}$/;

/**
 * The CSRF token of a request that passed `csrf()`, to put into a form's hidden field or a
 * page's meta tag. Null when `csrf()` did not run for this request.
 */
export function csrfToken(req: Request): string | null {
  return tokenOf.get(req) ?? null;
}

function forbidden(message: string): Response {
  return {
    status: 403,
    headers: new Headers({
      'content-type': 'text/plain; charset=utf-8',
      'cache-control': 'no-store',
    }),
    body: `${message}\n`,
  };
}

function isUrlEncoded(req: Request): boolean {
  const type = req.headers.get('content-type');
  return type !== null && /^\s*application\/x-www-form-urlencoded\s*(;|$)/i.test(type);
}

/**
 * Creates the CSRF middleware. Safe requests get a token cookie when they have none; unsafe
 * ones without a matching token get 403 and never reach the handler. The comparison is
 * constant-time. A form body is read to find the field and handed on unchanged.
 *
 * @example
 * ```ts
 * import { compose, html } from '@rws/core';
 * import { csrf, csrfToken } from '@rws/middleware/csrf';
 * const page = compose([csrf()], (req) =>
 *   html(`<form method="post"><input type="hidden" name="_csrf" value="${csrfToken(req)}"></form>`),
 * );
 * ```
 */
export function csrf(options: CsrfOptions = {}): Middleware {
  const cookieName = options.cookieName ?? 'csrf_token';
  const headerName = (options.headerName ?? 'x-csrf-token').toLowerCase();
  const formField = options.formField ?? '_csrf';
  const safe = new Set(
    (options.safeMethods ?? ['GET', 'HEAD', 'OPTIONS', 'TRACE']).map((m) => m.toUpperCase()),
  );
  const { secure = 'auto', ...attributes } = options.cookie ?? {};
  const base: CookieOptions = { path: '/', sameSite: 'Strict', ...attributes };
  try {
    serializeCookie(cookieName, 'x', { ...base, secure: secure !== false });
    new Headers().set(headerName, 'x');
  } catch (err) {
    failOptions(ERROR_CODES.CSRF_INVALID_OPTIONS, 'csrf', (err as Error).message);
  }
  if (formField !== false && (typeof formField !== 'string' || formField.length === 0)) {
    failOptions(
      ERROR_CODES.CSRF_INVALID_OPTIONS,
      'csrf',
      'formField must be a non-empty string or false',
    );
  }
  const expected = `send the ${cookieName} cookie's value in the ${headerName} header${formField === false ? '' : ` or the ${formField} form field`}`;

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      const fromCookie = parseCookies(req.headers.get('cookie'))[cookieName];
      const cookieToken =
        fromCookie !== undefined && TOKEN_PATTERN.test(fromCookie) ? fromCookie : null;
      if (safe.has(req.method)) {
        const token = cookieToken ?? randomBytes(32).toString('base64url');
        tokenOf.set(req, token);
        const res = await next(req);
        if (cookieToken === null) {
          const isSecure = secure === 'auto' ? req.conn.tls !== null : secure;
          res.headers.append(
            'set-cookie',
            serializeCookie(cookieName, token, { ...base, secure: isSecure }),
          );
        }
        return res;
      }
      if (cookieToken === null)
        return forbidden(
          `CSRF token missing: no ${cookieName} cookie; load a page first, then ${expected}`,
        );
      let submitted = req.headers.get(headerName);
      let inner = req;
      if (submitted === null && formField !== false && isUrlEncoded(req)) {
        const bytes = await req.body.bytes();
        submitted = new URLSearchParams(Buffer.from(bytes).toString('utf8')).get(formField);
        // The handler still reads the form it was sent.
        inner = deriveRequest(req, { body: Body.from(bytes, { limit: req.body.limit }) });
      }
      if (submitted === null) return forbidden(`CSRF token missing: ${expected}`);
      if (!safeEqual(submitted, cookieToken))
        return forbidden('CSRF token mismatch: the submitted token does not match the cookie');
      tokenOf.set(inner, cookieToken);
      return next(inner);
    },
  };
}
