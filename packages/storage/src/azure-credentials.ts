/**
 * Microsoft Entra tokens for Azure Blob without an account key: Managed Identity from the
 * Azure Instance Metadata Service (VMs, AKS) or the App Service / Functions / Container Apps
 * identity endpoint. Tokens are cached and refreshed before they expire.
 *
 * @see https://learn.microsoft.com/entra/identity/managed-identities-azure-resources/how-to-use-vm-token
 */
import {
  type CredentialContext,
  cacheUntilExpiry,
  credentialRequest,
  unavailable,
} from './internal/credential-fetch.js';

/** A bearer token and when it expires. */
export interface AzureAccessToken {
  readonly token: string;
  readonly expiration?: Date | undefined;
}

/** Resolves a token for `https://storage.azure.com/` when a request needs one. */
export type AzureTokenProvider = (context: CredentialContext) => Promise<AzureAccessToken>;

/** Options of `fromAzureManagedIdentity`. */
export interface AzureManagedIdentityOptions {
  /** A user-assigned identity's client id; default the system-assigned identity. */
  readonly clientId?: string | undefined;
  /** Default `https://storage.azure.com/`. */
  readonly resource?: string | undefined;
  /** The IMDS origin. Default `http://169.254.169.254`. */
  readonly imdsEndpoint?: string | undefined;
  /** Where `IDENTITY_ENDPOINT`/`IDENTITY_HEADER` are read. Default `process.env`. */
  readonly env?: Readonly<Record<string, string | undefined>> | undefined;
  /** Fetch a new token this long before the old one expires. Default 5 minutes. */
  readonly refreshBeforeMs?: number | undefined;
  /** Per request. Default 5000. */
  readonly timeoutMs?: number | undefined;
}

/**
 * Managed Identity: with `IDENTITY_ENDPOINT` and `IDENTITY_HEADER` set (App Service,
 * Functions, Container Apps) asks that endpoint (`api-version=2019-08-01`,
 * `X-IDENTITY-HEADER`); otherwise IMDS (`/metadata/identity/oauth2/token`,
 * `api-version=2018-02-01`, `Metadata: true`).
 */
export function fromAzureManagedIdentity(
  options: AzureManagedIdentityOptions = {},
): AzureTokenProvider {
  const env = options.env ?? process.env;
  const source = 'Azure managed identity';
  const resource = options.resource ?? 'https://storage.azure.com/';
  return cacheUntilExpiry(
    async (context) => {
      const identityEndpoint = env['IDENTITY_ENDPOINT'];
      const identityHeader = env['IDENTITY_HEADER'];
      let url: URL;
      const headers: Record<string, string> = { accept: 'application/json' };
      try {
        if (identityEndpoint && identityHeader) {
          url = new URL(identityEndpoint);
          url.searchParams.set('api-version', '2019-08-01');
          headers['x-identity-header'] = identityHeader;
        } else {
          url = new URL(
            '/metadata/identity/oauth2/token',
            options.imdsEndpoint ?? 'http://169.254.169.254',
          );
          url.searchParams.set('api-version', '2018-02-01');
          headers['metadata'] = 'true';
        }
      } catch (cause) {
        throw unavailable(source, 'the identity endpoint is not a URL', cause);
      }
      url.searchParams.set('resource', resource);
      if (options.clientId !== undefined) url.searchParams.set('client_id', options.clientId);
      const res = await credentialRequest(context, source, {
        url,
        headers,
        timeoutMs: options.timeoutMs ?? 5000,
      });
      let json: Record<string, unknown> = {};
      try {
        json = JSON.parse(res.text) as Record<string, unknown>;
      } catch {}
      if (res.status !== 200 || typeof json['access_token'] !== 'string') {
        const code = typeof json['error'] === 'string' ? ` ${json['error']}` : '';
        throw unavailable(source, `the token endpoint answered ${res.status}${code}`);
      }
      // `expires_on` is Unix seconds (as a string or a number).
      const expiresOn = Number(json['expires_on']);
      return {
        token: json['access_token'],
        expiration:
          Number.isFinite(expiresOn) && expiresOn > 0 ? new Date(expiresOn * 1000) : undefined,
      };
    },
    options.refreshBeforeMs ?? 5 * 60 * 1000,
  );
}
