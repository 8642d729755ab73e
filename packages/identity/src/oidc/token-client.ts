import { RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { FetchLike } from './types.js';

/** How the client authenticates at the token endpoint. @see RFC 6749 §2.3.1 */
export type ClientAuthMethod = 'client_secret_basic' | 'client_secret_post' | 'none';

/** The client as the token endpoint knows it. */
export interface TokenClient {
  readonly clientId: string;
  readonly clientSecret: string | undefined;
  readonly authMethod: ClientAuthMethod;
  readonly fetch: FetchLike;
}

/** A successful token response. @see RFC 6749 §5.1, OpenID Connect Core §3.1.3.3 */
export interface TokenResponse {
  readonly access_token: string;
  readonly token_type: string;
  readonly expires_in?: number | undefined;
  readonly refresh_token?: string | undefined;
  readonly id_token?: string | undefined;
  readonly scope?: string | undefined;
}

function failed(message: string, status: number, cause?: unknown): never {
  throw new RwsError(ERROR_CODES.OIDC_TOKEN_REQUEST_FAILED, message, { status, cause });
}

/** `application/x-www-form-urlencoded` encoding of a credential, as Basic auth wants it. */
function formEncode(value: string): string {
  return encodeURIComponent(value).replace(/%20/g, '+');
}

/**
 * POSTs a grant to the token endpoint and checks the answer. A refused grant (`invalid_grant`,
 * `invalid_client`…) is a 401; a transport failure or a malformed answer is a 502. The
 * provider's `error` code is in the message; its description is not (it is the provider's text).
 */
export async function requestTokens(
  endpoint: string,
  client: TokenClient,
  params: Record<string, string>,
  signal?: AbortSignal,
): Promise<TokenResponse> {
  const body = new URLSearchParams(params);
  const headers: Record<string, string> = {
    'content-type': 'application/x-www-form-urlencoded',
    // GitHub answers form-encoded without it.
    accept: 'application/json',
  };
  if (client.authMethod === 'client_secret_basic') {
    const pair = `${formEncode(client.clientId)}:${formEncode(client.clientSecret ?? '')}`;
    headers['authorization'] = `Basic ${btoa(pair)}`;
  } else {
    body.set('client_id', client.clientId);
    if (client.authMethod === 'client_secret_post')
      body.set('client_secret', client.clientSecret ?? '');
  }
  let res: Response;
  try {
    res = await client.fetch(endpoint, {
      method: 'POST',
      headers,
      body: body.toString(),
      ...(signal === undefined ? {} : { signal }),
    });
  } catch (err) {
    failed(`token endpoint ${endpoint} unreachable: ${(err as Error).message}`, 502, err);
  }
  let json: unknown;
  try {
    json = await res.json();
  } catch (err) {
    failed(`token endpoint answered ${res.status} with a body that is not JSON`, 502, err);
  }
  const record = (typeof json === 'object' && json !== null ? json : {}) as Record<string, unknown>;
  if (!res.ok || typeof record['error'] === 'string') {
    const code = typeof record['error'] === 'string' ? record['error'] : 'no error code';
    const isRefusal =
      res.status === 400 || res.status === 401 || typeof record['error'] === 'string';
    failed(`token endpoint refused the grant (${res.status}, ${code})`, isRefusal ? 401 : 502);
  }
  if (typeof record['access_token'] !== 'string' || record['access_token'].length === 0) {
    failed('token endpoint answered without an access_token', 502);
  }
  if (typeof record['token_type'] !== 'string' || record['token_type'].toLowerCase() !== 'bearer') {
    failed(
      `token endpoint answered token_type ${JSON.stringify(record['token_type'])}, not Bearer`,
      502,
    );
  }
  for (const key of ['refresh_token', 'id_token', 'scope'] as const) {
    if (record[key] !== undefined && typeof record[key] !== 'string') {
      failed(`token endpoint answered a non-string ${key}`, 502);
    }
  }
  if (record['expires_in'] !== undefined && typeof record['expires_in'] !== 'number') {
    failed('token endpoint answered a non-numeric expires_in', 502);
  }
  return record as unknown as TokenResponse;
}
