import { base64url } from 'jose';

/**
 * Random URL-safe tokens and PKCE values from Web Crypto, so the login code runs unchanged on
 * Node, Bun, Deno and workerd.
 */
export function randomToken(bytes = 32): string {
  return base64url.encode(crypto.getRandomValues(new Uint8Array(bytes)));
}

/** The S256 code challenge of a PKCE verifier. @see RFC 7636 §4.2 */
export async function pkceChallenge(verifier: string): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return base64url.encode(new Uint8Array(digest));
}
