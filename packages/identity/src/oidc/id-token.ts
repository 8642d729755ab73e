import { RwsError } from '@rws/core';
import { type JWTPayload, type JWTVerifyGetKey, jwtVerify } from 'jose';
import { ERROR_CODES } from '../errors.js';

/** What an ID token must satisfy. @see OpenID Connect Core 1.0 §3.1.3.7 */
export interface IdTokenExpectations {
  /** The issuer `iss` must equal (unless `isValidIssuer` decides). */
  readonly issuer: string;
  readonly isValidIssuer?:
    | ((iss: string, claims: Readonly<Record<string, unknown>>) => boolean)
    | undefined;
  /** The client id: must be in `aud`, and equal `azp` when present. */
  readonly clientId: string;
  /** The nonce sent with the authorization request; null on refresh (no nonce is checked). */
  readonly nonce: string | null;
  /** Allowed clock difference for `exp`, `nbf` and `iat`, in seconds. */
  readonly clockToleranceSec: number;
  /** Accepted signature algorithms (never `none`, never HMAC). */
  readonly algorithms: readonly string[];
}

function reject(reason: string, cause?: unknown): never {
  throw new RwsError(ERROR_CODES.OIDC_ID_TOKEN_INVALID, `ID token rejected: ${reason}`, {
    status: 401,
    cause,
  });
}

/**
 * Verifies an ID token's signature against the provider's keys and checks its claims: `iss`,
 * `aud` contains the client, `azp` (required with several audiences, and then the client),
 * `exp` and `nbf` (with clock tolerance), `iat` present and not in the future, and the `nonce`
 * of this login. Returns the claims.
 */
export async function validateIdToken(
  token: string,
  keys: JWTVerifyGetKey,
  expected: IdTokenExpectations,
): Promise<JWTPayload & { sub: string }> {
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      audience: expected.clientId,
      clockTolerance: expected.clockToleranceSec,
      algorithms: [...expected.algorithms],
      requiredClaims: ['iss', 'sub', 'aud', 'exp', 'iat'],
      ...(expected.isValidIssuer === undefined ? { issuer: expected.issuer } : {}),
    }));
  } catch (err) {
    reject((err as Error).message, err);
  }
  if (typeof payload.iss !== 'string') reject('"iss" is not a string');
  if (expected.isValidIssuer !== undefined && !expected.isValidIssuer(payload.iss, payload)) {
    reject(`unexpected "iss" claim value ${JSON.stringify(payload.iss)}`);
  }
  if (typeof payload.sub !== 'string' || payload.sub.length === 0) reject('"sub" is missing');
  const nowSec = Math.floor(Date.now() / 1000);
  if ((payload.iat as number) > nowSec + expected.clockToleranceSec) {
    reject('"iat" is in the future');
  }
  const audiences = Array.isArray(payload.aud) ? payload.aud : [payload.aud];
  if (payload['azp'] !== undefined && payload['azp'] !== expected.clientId) {
    reject('"azp" names another client');
  }
  if (audiences.length > 1 && payload['azp'] === undefined) {
    reject('several audiences and no "azp"');
  }
  if (expected.nonce !== null && payload['nonce'] !== expected.nonce) {
    reject('"nonce" does not match this login');
  }
  return payload as JWTPayload & { sub: string };
}
