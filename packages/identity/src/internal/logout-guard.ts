import { html, type Request, type Response, RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

const HTML_ESCAPES: Record<string, string> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  '"': '&quot;',
  "'": '&#39;',
};

/**
 * The GET answer of the logout route: a one-button form that POSTs to it. No script submits
 * it, or a cross-site GET (an `<img src>`) would log the user out after all.
 */
export function logoutPage(action: string): Response {
  const safe = action.replace(/[&<>"']/g, (c) => HTML_ESCAPES[c] as string);
  const res = html(
    `<!doctype html><meta charset="utf-8"><title>Log out</title><form method="post" action="${safe}"><button type="submit">Log out</button></form>`,
  );
  res.headers.set('cache-control', 'no-store');
  res.headers.set(
    'content-security-policy',
    "default-src 'none'; form-action 'self'; frame-ancestors 'none'",
  );
  return res;
}

/**
 * Refuses a logout POST sent by another site: `Sec-Fetch-Site` other than `same-origin`/`none`,
 * or an `Origin` other than the app's (the `redirectUri` origin, else the request's own). This
 * holds even when the session cookie is `SameSite=None`.
 */
export function assertSameOriginLogout(req: Request, redirectUri: string | undefined): void {
  const site = req.headers.get('sec-fetch-site');
  const origin = req.headers.get('origin');
  const own =
    redirectUri === undefined
      ? `${req.scheme}://${req.authority ?? 'localhost'}`
      : new URL(redirectUri).origin;
  if (
    (site !== null && site !== 'same-origin' && site !== 'none') ||
    (origin !== null && origin !== own)
  ) {
    throw new RwsError(
      ERROR_CODES.OIDC_CROSS_SITE_LOGOUT,
      'logout: refused a POST from another site',
      {
        status: 403,
      },
    );
  }
}
