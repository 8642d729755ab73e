/**
 * etcd v3 username/password authentication over the JSON gateway: `POST /v3/auth/authenticate`
 * gives a token sent as the `Authorization` header of later calls. Tokens expire (simple tokens
 * after `--auth-token-ttl` idle seconds, JWTs at their `exp`), and etcd then answers 401
 * "invalid auth token": the call is repeated once with a fresh token.
 * @see https://etcd.io/docs/v3.5/dev-guide/api_grpc_gateway/#authentication
 */
import { type ControlEndpoint, discoveryError, requestJson } from './control-http.js';

/** The credentials of an etcd user. */
export interface EtcdCredentials {
  readonly username: string;
  readonly password: string;
}

/** Runs etcd calls with a token, authenticating first and again when the token expired. */
export type EtcdAuthRunner = <T>(
  ep: ControlEndpoint,
  signal: AbortSignal | undefined,
  run: (authed: ControlEndpoint) => Promise<T>,
) => Promise<T>;

/** etcd's answers to a missing, expired or revoked token (401 on unary calls, a stream error). */
const EXPIRED = /answered 401|invalid auth token|auth token is (?:not provided|expired)/i;

/** A runner that adds nothing when `credentials` is undefined (etcd without auth). */
export function etcdAuthRunner(
  source: string,
  credentials: EtcdCredentials | undefined,
  timeoutMs: number,
): EtcdAuthRunner {
  if (credentials === undefined) return (ep, _signal, run) => run(ep);
  // One token for the cluster: etcd replicates authentication, so any member accepts it.
  let token: Promise<string> | null = null;
  const authenticate = async (
    ep: ControlEndpoint,
    signal: AbortSignal | undefined,
  ): Promise<string> => {
    try {
      const { body } = await requestJson<{ token?: unknown }>(ep, {
        source,
        method: 'POST',
        path: '/v3/auth/authenticate',
        body: { name: credentials.username, password: credentials.password },
        timeoutMs,
        signal,
      });
      if (typeof body.token !== 'string' || body.token === '') {
        throw new Error('the answer has no token (is authentication enabled on this etcd?)');
      }
      return body.token;
    } catch (err) {
      const own = `discovery ${source}: `;
      const message = (err as Error).message;
      const why = message.startsWith(own) ? message.slice(own.length) : message;
      throw discoveryError(
        source,
        `authentication as etcd user ${JSON.stringify(credentials.username)} failed (wrong username or password?): ${why}`,
        err,
      );
    }
  };
  return async (ep, signal, run) => {
    for (let attempt = 0; ; attempt++) {
      const current = token ?? authenticate(ep, signal);
      token = current;
      let value: string;
      try {
        value = await current;
      } catch (err) {
        if (token === current) token = null;
        throw err;
      }
      try {
        return await run({ ...ep, headers: async () => ({ authorization: value }) });
      } catch (err) {
        if (attempt > 0 || !EXPIRED.test((err as Error).message)) throw err;
        // Expired: forget this token (unless another call already replaced it) and retry once.
        if (token === current) token = null;
      }
    }
  };
}
