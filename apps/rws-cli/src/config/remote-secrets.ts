/**
 * Secret references read over HTTP from a secret store: `vault://mount/path#field`
 * (HashiCorp Vault KV v2), `aws-sm://name#field` (AWS Secrets Manager) and
 * `azkv://vault/secret` (Azure Key Vault). Credentials come from the environment the way each
 * store's own tools read them; AWS credentials and the Azure managed-identity token come from
 * the providers of @rws/storage. Every exchange is bounded by a timeout, and no message
 * carries a secret (only references, status codes and the stores' error codes).
 */
import { type Agent, createAgent } from '@rws/http1';
import { sha256Hex, signAwsRequest } from '@rws/storage';
import { fromAzureManagedIdentity } from '@rws/storage/drivers/azure-blob';
import { defaultAwsCredentials } from '@rws/storage/drivers/s3';

type Env = Readonly<Record<string, string | undefined>>;

/** The schemes this module reads. */
const SCHEMES = ['vault://', 'aws-sm://', 'azkv://'] as const;

/** True when `value` references a secret store. */
export function isRemoteSecretRef(value: string): boolean {
  return SCHEMES.some((s) => value.startsWith(s));
}

/** Default bound of one secret's exchanges (token, then secret). */
export const DEFAULT_SECRET_TIMEOUT_MS = 10_000;

/** Raised inside a fetch; its message is safe to print. */
class RefError extends Error {}

/** Splits `path#field`; the field is undefined without a `#`. */
function splitField(rest: string): [string, string | undefined] {
  const at = rest.indexOf('#');
  return at === -1 ? [rest, undefined] : [rest.slice(0, at), rest.slice(at + 1)];
}

/** The field of a JSON object: `#field`, or the only field when none is named. */
function pickField(data: Record<string, unknown>, field: string | undefined): string {
  let value: unknown;
  if (field === undefined) {
    const keys = Object.keys(data);
    if (keys.length !== 1) {
      throw new RefError(`names no #field and the secret has ${keys.length} (${keys.join(', ')})`);
    }
    value = data[keys[0] as string];
  } else {
    if (!Object.hasOwn(data, field)) throw new RefError(`the secret has no field ${field}`);
    value = data[field];
  }
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  throw new RefError(`field ${field ?? ''} is empty or not a string`.replace('  ', ' '));
}

function parseObject(text: string, what: string): Record<string, unknown> {
  try {
    const json: unknown = JSON.parse(text);
    if (json !== null && typeof json === 'object' && !Array.isArray(json)) {
      return json as Record<string, unknown>;
    }
  } catch {}
  throw new RefError(`${what} is not a JSON object`);
}

/** One resolution run: one agent, credentials fetched once and shared by its references. */
class Session {
  readonly agent: Agent;
  readonly #env: Env;
  readonly #timeoutMs: number;
  #azureToken: ReturnType<typeof fromAzureManagedIdentity> | null = null;
  #aws: ReturnType<typeof defaultAwsCredentials> | undefined;

  constructor(env: Env, timeoutMs: number) {
    this.#env = env;
    this.#timeoutMs = timeoutMs;
    this.agent = createAgent({ connectTimeoutMs: timeoutMs });
  }

  async #send(
    url: URL,
    init: { method?: string; headers: Record<string, string>; body?: string },
    signal: AbortSignal,
  ): Promise<{ status: number; text: string }> {
    try {
      const res = await this.agent.request({ url, ...init, signal });
      return { status: res.status, text: await res.body.text({ limit: 1024 * 1024 }) };
    } catch (err) {
      throw new RefError(
        signal.aborted
          ? `no answer from ${url.origin} within ${this.#timeoutMs} ms`
          : `${url.origin} unreachable: ${(err as Error).message}`,
      );
    }
  }

  /** `vault://mount/path#field`: `GET $VAULT_ADDR/v1/<mount>/data/<path>`, `data.data[field]`. */
  async vault(ref: string, signal: AbortSignal): Promise<string> {
    const [path, field] = splitField(ref.slice('vault://'.length));
    const parts = path.split('/').filter((p) => p !== '');
    if (parts.length < 2) throw new RefError('needs a mount and a path (vault://secret/app#field)');
    const addr = this.#env['VAULT_ADDR'];
    const token = this.#env['VAULT_TOKEN'];
    if (!addr) throw new RefError('VAULT_ADDR is not set');
    if (!token) throw new RefError('VAULT_TOKEN is not set');
    let url: URL;
    try {
      const [mount, ...rest] = parts.map(encodeURIComponent);
      url = new URL(`v1/${mount}/data/${rest.join('/')}`, addr.endsWith('/') ? addr : `${addr}/`);
    } catch {
      throw new RefError(`VAULT_ADDR ${addr} is not a URL`);
    }
    const headers: Record<string, string> = { 'x-vault-token': token, accept: 'application/json' };
    const namespace = this.#env['VAULT_NAMESPACE'];
    if (namespace) headers['x-vault-namespace'] = namespace;
    const res = await this.#send(url, { headers }, signal);
    if (res.status !== 200) {
      const why = res.status === 404 ? ' (no such secret)' : res.status === 403 ? ' (denied)' : '';
      throw new RefError(`Vault answered ${res.status}${why}`);
    }
    const data = parseObject(res.text, 'the answer')['data'];
    const inner = (data as Record<string, unknown> | null | undefined)?.['data'];
    if (inner === null || typeof inner !== 'object') {
      throw new RefError('the answer has no data.data (is the mount KV version 2?)');
    }
    return pickField(inner as Record<string, unknown>, field);
  }

  /** `aws-sm://name#field`: `GetSecretValue`, SigV4-signed; `#field` picks a JSON key. */
  async awsSecretsManager(ref: string, signal: AbortSignal): Promise<string> {
    const [name, field] = splitField(ref.slice('aws-sm://'.length));
    if (name === '') throw new RefError('names no secret (aws-sm://name#field)');
    // An ARN carries its region: arn:aws:secretsmanager:<region>:<account>:secret:<name>.
    const arnRegion = name.startsWith('arn:') ? name.split(':')[3] : undefined;
    const region = arnRegion || this.#env['AWS_REGION'] || this.#env['AWS_DEFAULT_REGION'];
    if (!region) throw new RefError('AWS_REGION is not set');
    const endpoint =
      this.#env['AWS_ENDPOINT_URL_SECRETS_MANAGER'] ||
      this.#env['AWS_ENDPOINT_URL'] ||
      `https://secretsmanager.${region}.amazonaws.com`;
    let url: URL;
    try {
      url = new URL(endpoint);
    } catch {
      throw new RefError(`endpoint ${endpoint} is not a URL`);
    }
    if (this.#aws === undefined) {
      // RWS_S3_* keys belong to the S3 driver, not to the account's other services.
      const env = Object.fromEntries(
        Object.entries(this.#env).filter(([k]) => !k.startsWith('RWS_S3_')),
      );
      this.#aws = defaultAwsCredentials(env);
    }
    const source = this.#aws;
    if (source === null) {
      throw new RefError(
        'no AWS credentials (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, web identity or container credentials)',
      );
    }
    let credentials: Exclude<typeof source, null | ((...a: never[]) => unknown)>;
    try {
      credentials =
        typeof source === 'function' ? await source({ agent: this.agent, signal }) : source;
    } catch (err) {
      throw new RefError((err as Error).message);
    }
    const body = JSON.stringify({ SecretId: name });
    const headers = signAwsRequest({
      method: 'POST',
      url,
      headers: {
        'content-type': 'application/x-amz-json-1.1',
        'x-amz-target': 'secretsmanager.GetSecretValue',
      },
      payloadHash: sha256Hex(body),
      region,
      service: 'secretsmanager',
      credentials,
    });
    const res = await this.#send(url, { method: 'POST', headers, body }, signal);
    let json: Record<string, unknown> = {};
    try {
      json = parseObject(res.text, 'the answer');
    } catch (err) {
      if (res.status === 200) throw err;
    }
    if (res.status !== 200) {
      const type = typeof json['__type'] === 'string' ? ` ${json['__type'].split('#').pop()}` : '';
      throw new RefError(`Secrets Manager answered ${res.status}${type}`);
    }
    const text = json['SecretString'];
    if (typeof text !== 'string') {
      throw new RefError('the secret has no SecretString (binary secrets are not read)');
    }
    if (field === undefined) {
      if (text === '') throw new RefError('SecretString is empty');
      return text;
    }
    return pickField(parseObject(text, 'SecretString'), field);
  }

  /** `azkv://vault/secret[/version]`: `GET https://<vault>.vault.azure.net/secrets/<name>`. */
  async azureKeyVault(ref: string, signal: AbortSignal): Promise<string> {
    const [vault = '', name = '', version, ...extra] = ref.slice('azkv://'.length).split('/');
    // Key Vault names: 3-24 letters, digits and hyphens; anything else must not reach a host.
    if (!/^[A-Za-z0-9-]{3,24}$/.test(vault) || name === '' || extra.length > 0) {
      throw new RefError('expected azkv://<vault-name>/<secret-name>[/<version>]');
    }
    const template = this.#env['RWS_AZKV_ENDPOINT'] || 'https://{vault}.vault.azure.net';
    let url: URL;
    try {
      const base = template.replace('{vault}', vault).replace(/\/$/, '');
      url = new URL(
        `${base}/secrets/${encodeURIComponent(name)}${version ? `/${encodeURIComponent(version)}` : ''}`,
      );
    } catch {
      throw new RefError(`RWS_AZKV_ENDPOINT ${template} is not a URL`);
    }
    url.searchParams.set('api-version', '7.4');
    this.#azureToken ??= fromAzureManagedIdentity({
      env: this.#env,
      resource: 'https://vault.azure.net',
      clientId: this.#env['AZURE_CLIENT_ID'] || undefined,
      timeoutMs: this.#timeoutMs,
    });
    let token: string;
    try {
      token = (await this.#azureToken({ agent: this.agent, signal })).token;
    } catch (err) {
      throw new RefError((err as Error).message);
    }
    const headers = { authorization: `Bearer ${token}`, accept: 'application/json' };
    const res = await this.#send(url, { headers }, signal);
    if (res.status !== 200) {
      let code = '';
      try {
        const e = parseObject(res.text, 'the answer')['error'] as
          | Record<string, unknown>
          | undefined;
        if (typeof e?.['code'] === 'string') code = ` ${e['code']}`;
      } catch {}
      throw new RefError(`Key Vault answered ${res.status}${code}`);
    }
    const value = parseObject(res.text, 'the answer')['value'];
    if (typeof value !== 'string' || value === '') throw new RefError('the secret has no value');
    return value;
  }
}

/** A reference found in the configuration, and where its value goes. */
export interface RemoteRef {
  readonly ref: string;
  readonly set: (value: string) => void;
  readonly fail: (message: string) => void;
}

/**
 * Resolves `refs` concurrently, each within `timeoutMs`; each is either `set` or `fail`ed with
 * a message that starts with the reference.
 */
export async function resolveRemoteRefs(
  refs: readonly RemoteRef[],
  env: Env,
  timeoutMs: number = DEFAULT_SECRET_TIMEOUT_MS,
): Promise<void> {
  if (refs.length === 0) return;
  const session = new Session(env, timeoutMs);
  try {
    await Promise.all(
      refs.map(async (r) => {
        const signal = AbortSignal.timeout(timeoutMs);
        try {
          const value = r.ref.startsWith('vault://')
            ? await session.vault(r.ref, signal)
            : r.ref.startsWith('aws-sm://')
              ? await session.awsSecretsManager(r.ref, signal)
              : await session.azureKeyVault(r.ref, signal);
          r.set(value);
        } catch (err) {
          // Fail closed on anything: our messages name references and codes, never values.
          r.fail(`${r.ref}: ${err instanceof Error ? err.message : String(err)}`);
        }
      }),
    );
  } finally {
    await session.agent.destroy();
  }
}
