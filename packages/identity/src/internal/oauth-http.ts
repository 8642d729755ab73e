import { json, type Request, type Response } from '@rws/core';
import { base64url } from 'jose';

/** An RFC 6749 §5.2 error answer; never cached (§5.1). */
export function oauthError(status: number, error: string, description: string): Response {
  const res = json({ error, error_description: description }, { status });
  res.headers.set('cache-control', 'no-store');
  if (error === 'invalid_client') res.headers.set('www-authenticate', 'Basic realm="token"');
  return res;
}

/** A JSON answer that must not be cached (tokens, introspection). */
export function noStore(body: unknown): Response {
  const res = json(body);
  res.headers.set('cache-control', 'no-store');
  return res;
}

/** The hex-free storage key of a code or refresh token: base64url SHA-256. */
export async function tokenHash(token: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(token));
  return base64url.encode(new Uint8Array(digest));
}

/** The form body of a POST endpoint, or an `invalid_request` answer. */
export async function readForm(req: Request): Promise<URLSearchParams | Response> {
  const type = req.headers.get('content-type') ?? '';
  if (!type.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    return oauthError(400, 'invalid_request', 'the body must be application/x-www-form-urlencoded');
  }
  return req.body.form({ limit: 16 * 1024 });
}

/**
 * Client credentials from `Authorization: Basic` (RFC 6749 §2.3.1) or the form, not both; a
 * `client_id` alone is a public client (secret null).
 */
export function credentialsOf(
  req: Request,
  form: URLSearchParams,
): { id: string; secret: string | null } | 'none' | 'ambiguous' {
  const auth = req.headers.get('authorization');
  const inForm = form.get('client_secret') !== null;
  if (auth !== null && /^basic /i.test(auth)) {
    if (inForm) return 'ambiguous';
    let decoded: string;
    try {
      decoded = atob(auth.slice(6).trim());
    } catch {
      return 'none';
    }
    const colon = decoded.indexOf(':');
    if (colon === -1) return 'none';
    const decode = (s: string): string => decodeURIComponent(s.replace(/\+/g, ' '));
    try {
      const id = decode(decoded.slice(0, colon));
      const formId = form.get('client_id');
      if (formId !== null && formId !== id) return 'ambiguous';
      return { id, secret: decode(decoded.slice(colon + 1)) };
    } catch {
      return 'none';
    }
  }
  const id = form.get('client_id');
  return id === null ? 'none' : { id, secret: form.get('client_secret') };
}
