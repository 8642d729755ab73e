/// <reference path="./oidc-provider.d.ts" />
/**
 * A real OpenID Provider for the tests: `oidc-provider` (OpenID certified) on node:http, port 0,
 * with its development login and consent pages (any login name is accepted; the name becomes
 * `sub`). Clients and their redirect URIs are given at start, so the relying parties listen
 * first and hand their URLs in.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider from 'oidc-provider';

export interface PeerClient {
  readonly client_id: string;
  readonly client_secret?: string;
  readonly redirect_uris: readonly string[];
  readonly post_logout_redirect_uris?: readonly string[];
  readonly token_endpoint_auth_method?: string;
  /** ID token lifetime in seconds (default 3600). */
  readonly idTokenTtlSec?: number;
  /** Access token lifetime in seconds (default 3600). */
  readonly accessTokenTtlSec?: number;
}

export interface OidcPeer {
  readonly issuer: string;
  close(): Promise<void>;
}

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** Starts the provider; call `close()` when done. */
export async function startOidcPeer(clients: readonly PeerClient[]): Promise<OidcPeer> {
  let listener: Listener = (_req, res) => res.writeHead(503).end();
  const server = createServer((req, res) => listener(req, res));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const issuer = `http://127.0.0.1:${port}`;
  const { privateKey } = await generateKeyPair('RS256', { extractable: true });
  const jwk = { ...(await exportJWK(privateKey)), kid: 'test-key-1', alg: 'RS256', use: 'sig' };
  const byId = new Map(clients.map((c) => [c.client_id, c]));
  const provider = new Provider(issuer, {
    clients: clients.map(({ idTokenTtlSec: _i, accessTokenTtlSec: _a, ...c }) => ({
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      token_endpoint_auth_method: c.client_secret === undefined ? 'none' : 'client_secret_basic',
      ...c,
      redirect_uris: [...c.redirect_uris],
      post_logout_redirect_uris: [...(c.post_logout_redirect_uris ?? [])],
    })),
    jwks: { keys: [jwk] },
    cookies: { keys: ['oidc-peer-cookie-key-0123456789abcdef'] },
    claims: { openid: ['sub'], email: ['email', 'email_verified'], profile: ['name'] },
    findAccount: (_ctx: unknown, id: string) => ({
      accountId: id,
      claims: () => ({
        sub: id,
        email: `${id}@example.com`,
        email_verified: true,
        name: `User ${id}`,
      }),
    }),
    features: { devInteractions: { enabled: true }, rpInitiatedLogout: { enabled: true } },
    issueRefreshToken: () => true,
    ttl: {
      IdToken: (_ctx: unknown, _token: unknown, client: { clientId: string }) =>
        byId.get(client.clientId)?.idTokenTtlSec ?? 3600,
      AccessToken: (_ctx: unknown, token: { clientId?: string }) =>
        byId.get(token.clientId ?? '')?.accessTokenTtlSec ?? 3600,
    },
  } as never);
  listener = provider.callback() as Listener;
  return {
    issuer,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
