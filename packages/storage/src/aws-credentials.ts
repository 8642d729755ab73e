/**
 * Where the S3 driver gets AWS credentials: options, the environment (`RWS_S3_*`, `AWS_*`),
 * a web identity token exchanged at STS (EKS IRSA), the ECS/EKS container endpoint and EC2
 * instance metadata (IMDSv2). Temporary credentials are cached and refreshed before they
 * expire.
 */
import { readFile } from 'node:fs/promises';
import type { AwsCredentials } from './aws-sigv4.js';
import {
  type CredentialContext,
  cacheUntilExpiry,
  credentialRequest,
  unavailable,
} from './internal/credential-fetch.js';
import { xmlValue } from './internal/xml.js';

export type { CredentialContext } from './internal/credential-fetch.js';

/** Credentials with the time they stop working (temporary ones). */
export interface AwsTemporaryCredentials extends AwsCredentials {
  readonly expiration?: Date | undefined;
}

/** Resolves credentials when a request needs them; providers made here cache their result. */
export type AwsCredentialProvider = (
  context: CredentialContext,
) => Promise<AwsTemporaryCredentials>;

type Env = Readonly<Record<string, string | undefined>>;

/** Options shared by the providers. */
export interface AwsProviderOptions {
  /** Where the provider's variables are read. Default `process.env`. */
  readonly env?: Env | undefined;
  /** Fetch new credentials this long before the old ones expire. Default 5 minutes. */
  readonly refreshBeforeMs?: number | undefined;
  /** Per HTTP exchange. Default 5000 (IMDS: 1000). */
  readonly timeoutMs?: number | undefined;
}

const FIVE_MINUTES = 5 * 60 * 1000;

/** Credentials from `RWS_S3_*`, then `AWS_*`; null when neither pair is set. */
export function credentialsFromEnv(env: Env): AwsCredentials | null {
  for (const prefix of ['RWS_S3_', 'AWS_']) {
    const accessKeyId = env[`${prefix}ACCESS_KEY_ID`];
    const secretAccessKey = env[`${prefix}SECRET_ACCESS_KEY`];
    if (accessKeyId && secretAccessKey) {
      const sessionToken = env[`${prefix}SESSION_TOKEN`];
      return sessionToken
        ? { accessKeyId, secretAccessKey, sessionToken }
        : { accessKeyId, secretAccessKey };
    }
  }
  return null;
}

function parseExpiration(source: string, value: string | undefined): Date {
  const date = new Date(value ?? '');
  if (Number.isNaN(date.getTime())) throw unavailable(source, 'the answer has no valid Expiration');
  return date;
}

function credentialsOf(
  source: string,
  accessKeyId: string | undefined,
  secretAccessKey: string | undefined,
  sessionToken: string | undefined,
  expiration: string | undefined,
): AwsTemporaryCredentials {
  if (!accessKeyId || !secretAccessKey || !sessionToken) {
    throw unavailable(source, 'the answer lacks AccessKeyId, SecretAccessKey or the session token');
  }
  return {
    accessKeyId,
    secretAccessKey,
    sessionToken,
    expiration: parseExpiration(source, expiration),
  };
}

function parseJson(source: string, text: string): Record<string, string | undefined> {
  try {
    return JSON.parse(text) as Record<string, string | undefined>;
  } catch (cause) {
    throw unavailable(source, 'the answer is not JSON', cause);
  }
}

/** Options of `fromWebIdentity`. */
export interface WebIdentityOptions extends AwsProviderOptions {
  /** Default `AWS_WEB_IDENTITY_TOKEN_FILE`. Read again on every refresh (it is rotated). */
  readonly tokenFile?: string | undefined;
  /** Default `AWS_ROLE_ARN`. */
  readonly roleArn?: string | undefined;
  /** Default `AWS_ROLE_SESSION_NAME`, else `rws-<time>`. */
  readonly roleSessionName?: string | undefined;
  /** Default `AWS_ENDPOINT_URL_STS`, else `https://sts.<AWS_REGION>.amazonaws.com` (global STS without a region). */
  readonly stsEndpoint?: string | undefined;
}

/**
 * EKS IRSA and other OIDC federation: exchanges the token in `AWS_WEB_IDENTITY_TOKEN_FILE`
 * for the role `AWS_ROLE_ARN` with STS `AssumeRoleWithWebIdentity` (an unsigned call).
 *
 * @see https://docs.aws.amazon.com/STS/latest/APIReference/API_AssumeRoleWithWebIdentity.html
 */
export function fromWebIdentity(options: WebIdentityOptions = {}): AwsCredentialProvider {
  const env = options.env ?? process.env;
  const source = 'web identity';
  return cacheUntilExpiry(async (context) => {
    const tokenFile = options.tokenFile ?? env['AWS_WEB_IDENTITY_TOKEN_FILE'];
    const roleArn = options.roleArn ?? env['AWS_ROLE_ARN'];
    if (!tokenFile || !roleArn) {
      throw unavailable(source, 'AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN must both be set');
    }
    let token: string;
    try {
      token = (await readFile(tokenFile, 'utf8')).trim();
    } catch (cause) {
      throw unavailable(source, `cannot read the token file ${tokenFile}`, cause);
    }
    const region = env['AWS_REGION'] ?? env['AWS_DEFAULT_REGION'];
    const endpoint =
      options.stsEndpoint ??
      env['AWS_ENDPOINT_URL_STS'] ??
      (region ? `https://sts.${region}.amazonaws.com` : 'https://sts.amazonaws.com');
    const form = new URLSearchParams({
      Action: 'AssumeRoleWithWebIdentity',
      Version: '2011-06-15',
      RoleArn: roleArn,
      RoleSessionName:
        options.roleSessionName ?? env['AWS_ROLE_SESSION_NAME'] ?? `rws-${Date.now()}`,
      WebIdentityToken: token,
    });
    const res = await credentialRequest(context, source, {
      url: new URL(endpoint),
      method: 'POST',
      headers: { 'content-type': 'application/x-www-form-urlencoded', accept: 'application/xml' },
      body: form.toString(),
      timeoutMs: options.timeoutMs ?? 5000,
    });
    if (res.status !== 200) {
      const code = xmlValue(res.text, 'Code') ?? '';
      throw unavailable(source, `STS answered ${res.status}${code === '' ? '' : ` ${code}`}`);
    }
    const v = (name: string): string | undefined => xmlValue(res.text, name);
    return credentialsOf(
      source,
      v('AccessKeyId'),
      v('SecretAccessKey'),
      v('SessionToken'),
      v('Expiration'),
    );
  }, options.refreshBeforeMs ?? FIVE_MINUTES);
}

/** Options of `fromContainerCredentials`. */
export interface ContainerCredentialsOptions extends AwsProviderOptions {
  /** Base of `AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`. Default `http://169.254.170.2`. */
  readonly relativeUriBase?: string | undefined;
}

/** Plain-HTTP container endpoints the AWS SDKs accept: the ECS/EKS agents and loopback. */
function isTrustedHttpHost(hostname: string): boolean {
  return (
    hostname === 'localhost' ||
    hostname === '[::1]' ||
    hostname.startsWith('127.') ||
    hostname === '169.254.170.2' ||
    hostname === '169.254.170.23' ||
    hostname === '[fd00:ec2::23]'
  );
}

/**
 * The ECS task role (`AWS_CONTAINER_CREDENTIALS_RELATIVE_URI`) and EKS Pod Identity
 * (`AWS_CONTAINER_CREDENTIALS_FULL_URI` with `AWS_CONTAINER_AUTHORIZATION_TOKEN[_FILE]`).
 * A plain-HTTP full URI must point at loopback or the container agent's address.
 */
export function fromContainerCredentials(
  options: ContainerCredentialsOptions = {},
): AwsCredentialProvider {
  const env = options.env ?? process.env;
  const source = 'container credentials';
  return cacheUntilExpiry(async (context) => {
    const relative = env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'];
    const full = env['AWS_CONTAINER_CREDENTIALS_FULL_URI'];
    let url: URL;
    try {
      url = relative
        ? new URL(relative, options.relativeUriBase ?? 'http://169.254.170.2')
        : new URL(full ?? '');
    } catch (cause) {
      throw unavailable(source, 'no valid AWS_CONTAINER_CREDENTIALS_*_URI', cause);
    }
    if (!relative && url.protocol === 'http:' && !isTrustedHttpHost(url.hostname)) {
      throw unavailable(source, `plain-HTTP full URI host ${url.hostname} is not allowed`);
    }
    const headers: Record<string, string> = { accept: 'application/json' };
    const tokenFile = env['AWS_CONTAINER_AUTHORIZATION_TOKEN_FILE'];
    const token = tokenFile
      ? await readFile(tokenFile, 'utf8').catch((cause: unknown) => {
          throw unavailable(source, `cannot read ${tokenFile}`, cause);
        })
      : env['AWS_CONTAINER_AUTHORIZATION_TOKEN'];
    if (token) headers['authorization'] = token.trim();
    const res = await credentialRequest(context, source, {
      url,
      headers,
      timeoutMs: options.timeoutMs ?? 5000,
    });
    if (res.status !== 200) throw unavailable(source, `the endpoint answered ${res.status}`);
    const json = parseJson(source, res.text);
    return credentialsOf(
      source,
      json['AccessKeyId'],
      json['SecretAccessKey'],
      json['Token'],
      json['Expiration'],
    );
  }, options.refreshBeforeMs ?? FIVE_MINUTES);
}

/** Options of `fromInstanceMetadata`. */
export interface InstanceMetadataOptions extends AwsProviderOptions {
  /** Default `AWS_EC2_METADATA_SERVICE_ENDPOINT`, else `http://169.254.169.254`. */
  readonly endpoint?: string | undefined;
}

/**
 * EC2 instance role through IMDSv2: a session token from `PUT /latest/api/token`, then the
 * role name and its credentials from `/latest/meta-data/iam/security-credentials/`.
 *
 * @see https://docs.aws.amazon.com/AWSEC2/latest/UserGuide/instance-metadata-security-credentials.html
 */
export function fromInstanceMetadata(options: InstanceMetadataOptions = {}): AwsCredentialProvider {
  const env = options.env ?? process.env;
  const source = 'instance metadata';
  const base =
    options.endpoint ?? env['AWS_EC2_METADATA_SERVICE_ENDPOINT'] ?? 'http://169.254.169.254';
  const timeoutMs = options.timeoutMs ?? 1000;
  return cacheUntilExpiry(async (context) => {
    const at = (path: string): URL => new URL(path, base);
    const tokenRes = await credentialRequest(context, source, {
      url: at('/latest/api/token'),
      method: 'PUT',
      headers: { 'x-aws-ec2-metadata-token-ttl-seconds': '21600' },
      timeoutMs,
    });
    if (tokenRes.status !== 200) {
      throw unavailable(source, `the IMDSv2 token request answered ${tokenRes.status}`);
    }
    const headers = { 'x-aws-ec2-metadata-token': tokenRes.text.trim() };
    const path = '/latest/meta-data/iam/security-credentials/';
    const roleRes = await credentialRequest(context, source, { url: at(path), headers, timeoutMs });
    const role = roleRes.text.split('\n')[0]?.trim() ?? '';
    if (roleRes.status !== 200 || role === '') {
      throw unavailable(source, `no instance role (${roleRes.status})`);
    }
    const res = await credentialRequest(context, source, {
      url: at(path + encodeURIComponent(role)),
      headers,
      timeoutMs,
    });
    const json = res.status === 200 ? parseJson(source, res.text) : {};
    if (res.status !== 200 || json['Code'] !== 'Success') {
      throw unavailable(source, `role ${role} answered ${res.status} ${json['Code'] ?? ''}`.trim());
    }
    return credentialsOf(
      source,
      json['AccessKeyId'],
      json['SecretAccessKey'],
      json['Token'],
      json['Expiration'],
    );
  }, options.refreshBeforeMs ?? FIVE_MINUTES);
}

/**
 * The default chain, decided once from `env`: static keys (`RWS_S3_*`, then `AWS_*`), else web
 * identity when `AWS_WEB_IDENTITY_TOKEN_FILE` and `AWS_ROLE_ARN` are set, else the container
 * endpoint when `AWS_CONTAINER_CREDENTIALS_*_URI` is set; null otherwise. Instance metadata is
 * never guessed: off EC2, probing 169.254.169.254 only waits for a timeout, so it is chosen
 * explicitly with `credentials: fromInstanceMetadata()`.
 */
export function defaultAwsCredentials(env: Env): AwsCredentials | AwsCredentialProvider | null {
  const fromEnv = credentialsFromEnv(env);
  if (fromEnv !== null) return fromEnv;
  if (env['AWS_WEB_IDENTITY_TOKEN_FILE'] && env['AWS_ROLE_ARN']) return fromWebIdentity({ env });
  if (env['AWS_CONTAINER_CREDENTIALS_RELATIVE_URI'] || env['AWS_CONTAINER_CREDENTIALS_FULL_URI']) {
    return fromContainerCredentials({ env });
  }
  return null;
}
