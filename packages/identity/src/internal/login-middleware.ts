import { type Middleware, type Request, type Response, RwsError, redirect } from '@rws/core';
import type { Session } from '@rws/middleware/session';
import type { IdentityErrorCode } from '../errors.js';
import { assertSameOriginLogout, logoutPage } from './logout-guard.js';
import { safeReturnTo } from './return-to.js';

/**
 * What the SAML and OIDC login middlewares share: where the logged-in user of a request is
 * kept, the option checks of their routes, the logout route's guard, the end of a login and
 * `requireUser()`. Each protocol keeps its own error codes and messages.
 */

/** The logged-in user of each request that passed a login middleware (null: nobody). */
export interface UserSlot<U> {
  /** The user, or null; throws `notInstalled` when the request did not pass the middleware. */
  get(req: Request): U | null;
  set(req: Request, user: U | null): void;
  /** Makes `to` answer what `from` does (for a derived request). */
  carry(from: Request, to: Request): void;
}

export function createUserSlot<U>(
  notInstalledCode: IdentityErrorCode,
  notInstalledMessage: string,
): UserSlot<U> {
  const userOf = new WeakMap<Request, U | null>();
  return {
    get(req) {
      const user = userOf.get(req);
      if (user === undefined) {
        throw new RwsError(notInstalledCode, notInstalledMessage, { status: 500 });
      }
      return user;
    },
    set(req, user) {
      userOf.set(req, user);
    },
    carry(from, to) {
      const user = userOf.get(from);
      if (user !== undefined) userOf.set(to, user);
    },
  };
}

/** A route option: a path starting with one `/` (else `fail` names the route and the value). */
export function checkRoutePath(
  name: string,
  value: string,
  fail: (message: string) => never,
): string {
  if (!value.startsWith('/') || value.startsWith('//'))
    fail(`routes.${name} must be a path starting with "/", got ${JSON.stringify(value)}`);
  return value;
}

/** Where the login route's `?returnTo=` leads, kept inside this site. */
export function requestedReturnTo(req: Request, fallback: string): string {
  return safeReturnTo(req.query.get('returnTo'), fallback);
}

/**
 * Ends a verified login: the user's record goes into a new session id (an id planted before the
 * login, session fixation, is worth nothing) and the browser goes back to `returnTo`.
 */
export function completeLogin(
  s: Session,
  sessionKey: string,
  stored: unknown,
  returnTo: string,
): Response {
  s.regenerate();
  s.set(sessionKey, stored);
  return redirect(returnTo, 302, { headers: { 'cache-control': 'no-store' } });
}

/**
 * The logout route: a POST from this site (`ownUrl`'s origin, else the request's own) runs
 * `logout`; a GET or HEAD answers a page whose button POSTs, because a GET must not log out (an
 * `<img src>` on any site could do it). Null when the request is not for the logout route.
 */
export function logoutRoute(
  req: Request,
  logoutPath: string,
  ownUrl: string | undefined,
  logout: () => Promise<Response>,
): Promise<Response> | Response | null {
  if (req.path !== logoutPath) return null;
  if (req.method === 'POST') {
    assertSameOriginLogout(req, ownUrl);
    return logout();
  }
  if (req.method === 'GET' || req.method === 'HEAD') return logoutPage(logoutPath);
  return null;
}

function isPageRequest(req: Request): boolean {
  const accept = req.headers.get('accept') ?? '';
  return (req.method === 'GET' || req.method === 'HEAD') && accept.includes('text/html');
}

/**
 * `requireUser()`: lets logged-in users through; a page request without one goes to the login
 * route (coming back here afterwards), anything else is refused with `notAuthenticatedCode` (401).
 */
export function requireUserMiddleware(
  hasUser: (req: Request) => boolean,
  loginPath: string,
  defaultReturnTo: string,
  notAuthenticatedCode: IdentityErrorCode,
): Middleware {
  return {
    handle(req, next) {
      if (hasUser(req)) return Promise.resolve(next(req));
      if (isPageRequest(req)) {
        return Promise.resolve(
          redirect(
            `${loginPath}?returnTo=${encodeURIComponent(safeReturnTo(req.target, defaultReturnTo))}`,
            302,
          ),
        );
      }
      throw new RwsError(notAuthenticatedCode, 'login required', { status: 401 });
    },
  };
}
