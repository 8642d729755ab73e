import { type Request, type Response, redirect, text } from '@rws/core';
import { getSession } from '@rws/middleware/session';
import type { OAuth2ClientRecord } from './oauth2-store.js';

/** What the authorization endpoint asks `authenticate()` about. */
export interface AuthorizationRequestDetails {
  readonly clientId: string;
  readonly redirectUri: string;
  /** The scopes asked for (already checked against the client's). */
  readonly scopes: readonly string[];
}

/**
 * The login and consent step: `{ sub }` grants (optionally narrowing `scopes`), a `Response`
 * is sent as it is (a login or consent page, which later sends the browser back to the same
 * authorization URL), `false` denies (`access_denied` to the client).
 */
export type AuthenticateHook = (
  req: Request,
  details: AuthorizationRequestDetails,
) =>
  | { sub: string; scopes?: readonly string[] | undefined }
  | Response
  | false
  | Promise<{ sub: string; scopes?: readonly string[] | undefined } | Response | false>;

/** The user of `@rws/middleware/session`, when a session is installed and holds one. */
function sessionUser(
  req: Request,
  loginUrl: string | undefined,
): { sub: string } | Response | false {
  let sub: unknown;
  try {
    const s = getSession(req);
    const user = s.get<{ sub?: unknown; id?: unknown }>('user');
    sub = user?.sub ?? user?.id ?? s.get<{ claims?: { sub?: unknown } }>('rws.oidc')?.claims?.sub;
  } catch {
    sub = undefined; // no session middleware: nobody is logged in
  }
  if (typeof sub === 'string' && sub.length > 0) return { sub };
  if (typeof sub === 'number') return { sub: String(sub) };
  if (loginUrl === undefined) return false;
  return redirect(`${loginUrl}?returnTo=${encodeURIComponent(req.target)}`, 302, {
    headers: { 'cache-control': 'no-store' },
  });
}

/** The default `authenticate`: the session's `user` (`sub` or `id`) or `oidcLogin()`'s user. */
export function defaultAuthenticate(loginUrl: string | undefined): AuthenticateHook {
  return (req) => sessionUser(req, loginUrl);
}

const PKCE_CHALLENGE = /^[A-Za-z0-9._~-]{43,128}$/;

interface AuthorizeContext {
  issuer: string;
  getClient(id: string): Promise<OAuth2ClientRecord | null>;
  authenticate: AuthenticateHook;
  /** Stores a code for the decision and returns it. */
  issueCode(data: Record<string, string>): Promise<string>;
}

function plainError(status: number, message: string): Response {
  const res = text(message, { status });
  res.headers.set('cache-control', 'no-store');
  return res;
}

/**
 * The authorization endpoint (RFC 6749 §4.1.1, RFC 7636): checks the client and its exact
 * redirect URI first (an error before that is shown, never redirected, §4.1.2.1), then
 * answers by redirect with `code` or `error`, `state` and `iss` (RFC 9207).
 */
export async function authorize(req: Request, ctx: AuthorizeContext): Promise<Response> {
  const q = req.method === 'POST' ? await req.body.form({ limit: 16 * 1024 }) : req.query;
  const clientId = q.get('client_id');
  const client = clientId === null ? null : await ctx.getClient(clientId);
  if (client === null || client.redirectUris.length === 0) {
    return plainError(400, 'invalid_request: unknown client_id, or a client without redirect URIs');
  }
  const asked = q.get('redirect_uri');
  const redirectUri =
    asked ?? (client.redirectUris.length === 1 ? (client.redirectUris[0] as string) : null);
  // Exact string match (RFC 9700 §4.1.3): no prefix, no wildcard, no normalisation.
  if (redirectUri === null || !client.redirectUris.includes(redirectUri)) {
    return plainError(
      400,
      'invalid_request: redirect_uri is missing or not registered for this client',
    );
  }
  const state = q.get('state');
  const back = (params: Record<string, string>): Response => {
    const url = new URL(redirectUri);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, v);
    if (state !== null) url.searchParams.set('state', state);
    url.searchParams.set('iss', ctx.issuer);
    return redirect(url.href, 302, { headers: { 'cache-control': 'no-store' } });
  };
  const fail = (error: string, description: string): Response =>
    back({ error, error_description: description });
  if (q.get('response_type') !== 'code')
    return fail('unsupported_response_type', 'response_type must be code');
  const challenge = q.get('code_challenge');
  const method = q.get('code_challenge_method') ?? (challenge === null ? null : 'plain');
  if (method !== null && method !== 'S256')
    return fail('invalid_request', 'code_challenge_method must be S256 (plain is refused)');
  if (challenge === null && client.secretHash === null)
    return fail('invalid_request', 'a public client must send a PKCE code_challenge (S256)');
  if (challenge !== null && !PKCE_CHALLENGE.test(challenge))
    return fail('invalid_request', 'code_challenge is not a base64url S256 challenge');
  const scopes = [...new Set((q.get('scope') ?? '').split(' ').filter((s) => s.length > 0))];
  if (scopes.some((s) => !client.scopes.includes(s)))
    return fail('invalid_scope', 'a requested scope is not allowed for this client');
  const decision = await ctx.authenticate(req, { clientId: client.clientId, redirectUri, scopes });
  if (decision === false) return fail('access_denied', 'the user did not authorize the client');
  if (!('sub' in decision)) return decision;
  const granted =
    decision.scopes === undefined ? scopes : scopes.filter((s) => decision.scopes?.includes(s));
  const code = await ctx.issueCode({
    clientId: client.clientId,
    redirectUri,
    // The redirect_uri in the token request must match only when it was sent here (§4.1.3).
    redirectUriSent: asked === null ? '' : '1',
    challenge: challenge ?? '',
    scope: granted.join(' '),
    sub: decision.sub,
  });
  return back({ code });
}
