/**
 * Bearer-token protection of the endpoint and its OAuth 2.0 Protected Resource Metadata
 * (RFC 9728), as the MCP authorization spec (2025-06-18 "Authorization") asks of a resource
 * server: 401 with `WWW-Authenticate: Bearer resource_metadata="…"` without a valid token, 403
 * `insufficient_scope` without the required scopes, the metadata document at the well-known
 * URL derived from the resource URL.
 */
import { type Handler, Headers, type MaybePromise, type Request, type Response } from '@rws/core';
import { McpError } from '../errors.js';
import { errorResponse, JSON_RPC_ERRORS } from '../json-rpc.js';
import type { AuthInfo } from '../types.js';

/** Options of `createMcpServer({ auth })`. */
export interface McpAuthOptions {
  /**
   * Checks a bearer token. Return who it belongs to; null, undefined or a throw (what JWT
   * libraries do for a bad token) answers 401 `invalid_token`. Check the token's audience is
   * this server (`resource`): the spec forbids accepting tokens issued for another one.
   */
  verify(token: string, req: Request): MaybePromise<AuthInfo | null | undefined>;
  /** This endpoint's canonical URL, e.g. `https://api.example.com/mcp` (RFC 8707 resource). */
  resource: string;
  /** Issuer URLs of the authorization servers that issue tokens for it. */
  authorizationServers: readonly string[];
  /** Scopes every request needs; a token without one of them gets 403 `insufficient_scope`. */
  requiredScopes?: readonly string[];
  /** `scopes_supported` of the metadata. Default `requiredScopes`. */
  scopesSupported?: readonly string[];
  /** `resource_name` of the metadata. */
  resourceName?: string;
  /** More RFC 9728 metadata members, written as they are (snake_case). */
  metadata?: Readonly<Record<string, unknown>>;
}

/** The checks and the metadata document of one protected endpoint. */
export interface ProtectedResource {
  /** `/.well-known/oauth-protected-resource` + the resource's path (RFC 9728 §3.1). */
  readonly metadataPath: string;
  readonly metadataUrl: string;
  readonly metadataHandler: Handler;
  /** The request's principal, or the 401/403 response to send instead. */
  authenticate(req: Request): Promise<{ info: AuthInfo } | { refusal: Response }>;
}

function quoted(v: string): string {
  return `"${v.replace(/[\\"]/g, '\\$&')}"`;
}

export function createProtectedResource(options: McpAuthOptions): ProtectedResource {
  if (typeof options.verify !== 'function') {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', 'auth.verify must be a function');
  }
  let resource: URL;
  try {
    resource = new URL(options.resource);
  } catch {
    throw new McpError(
      'RWS_MCP_INVALID_OPTIONS',
      `auth.resource must be an absolute URL, got ${JSON.stringify(options.resource)}`,
    );
  }
  if (resource.hash !== '') {
    throw new McpError('RWS_MCP_INVALID_OPTIONS', 'auth.resource must not have a fragment');
  }
  const servers = options.authorizationServers;
  if (!Array.isArray(servers) || servers.length === 0) {
    throw new McpError(
      'RWS_MCP_INVALID_OPTIONS',
      'auth.authorizationServers needs at least one issuer URL',
    );
  }
  const path = resource.pathname === '/' ? '' : resource.pathname.replace(/\/$/, '');
  const metadataPath = `/.well-known/oauth-protected-resource${path}`;
  const metadataUrl = `${resource.origin}${metadataPath}`;
  const required = options.requiredScopes ?? [];
  const document: Record<string, unknown> = {
    resource: options.resource,
    authorization_servers: servers,
    bearer_methods_supported: ['header'],
  };
  const scopes = options.scopesSupported ?? options.requiredScopes;
  if (scopes !== undefined) document['scopes_supported'] = scopes;
  if (options.resourceName !== undefined) document['resource_name'] = options.resourceName;
  Object.assign(document, options.metadata);
  const body = JSON.stringify(document);

  const refuse = (status: 401 | 403, params: string, message: string) => ({
    refusal: {
      status,
      headers: new Headers({
        'content-type': 'application/json',
        'www-authenticate': `Bearer ${params}resource_metadata=${quoted(metadataUrl)}`,
      }),
      body: JSON.stringify(errorResponse(null, JSON_RPC_ERRORS.SERVER_ERROR, message)),
    } satisfies Response,
  });

  return {
    metadataPath,
    metadataUrl,
    // Clients in browsers fetch it from another origin; it holds nothing secret.
    metadataHandler: (req) =>
      req.method === 'GET' || req.method === 'HEAD'
        ? {
            status: 200,
            headers: new Headers({
              'content-type': 'application/json',
              'access-control-allow-origin': '*',
              'cache-control': 'max-age=3600',
            }),
            body,
          }
        : {
            status: 405,
            headers: new Headers({ allow: 'GET, HEAD' }),
            body: null,
          },
    async authenticate(req) {
      const header = req.headers.get('authorization') ?? '';
      const token = /^bearer +/i.test(header) ? header.replace(/^bearer +/i, '').trim() : '';
      // RFC 6750 §3.1: a request without credentials gets no error code.
      if (token === '') return refuse(401, '', 'Unauthorized: a bearer token is required');
      let info: AuthInfo | null | undefined;
      try {
        info = await options.verify(token, req);
      } catch {
        info = null;
      }
      if (info === null || info === undefined || typeof info !== 'object') {
        return refuse(
          401,
          'error="invalid_token", error_description="the token is invalid or expired", ',
          'Unauthorized: the bearer token is invalid or expired',
        );
      }
      const granted = new Set(info.scopes ?? []);
      const missing = required.filter((s) => !granted.has(s));
      if (missing.length > 0) {
        return refuse(
          403,
          `error="insufficient_scope", scope=${quoted(required.join(' '))}, `,
          `Forbidden: the token lacks the scope ${missing.join(' ')}`,
        );
      }
      return { info };
    },
  };
}
