/**
 * `type = "grpc"` route actions: gRPC calls proxied over HTTP/2 to an `[[upstream]]` whose
 * backends are `grpc://`, `grpcs://`, `h2://` or `h2s://`, or to one inline address (a bare
 * `host:port` means `grpc://`). Keys as rust-web-server documents them: `upstream`,
 * `connect_timeout_ms` (5000), `read_timeout_ms` (30000).
 */
import { GATEWAY_CONFIG_CODES, type GatewayConfigErrorCode } from '../errors.js';
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type {
  GatewayBackend,
  GatewayGrpcAction,
  GatewayProxyAction,
  GatewayUpstream,
} from './gateway-config.js';

/** The parts of the config reader this action uses. */
export interface GrpcActionReader {
  add(code: GatewayConfigErrorCode, path: KeyPath, message: string, hint?: string): void;
  invalid(path: KeyPath, message: string, hint?: string): void;
  string(t: Record<string, unknown>, key: string, path: KeyPath, required?: boolean): string | null;
  int(
    t: Record<string, unknown>,
    key: string,
    path: KeyPath,
    min: number,
    max: number,
  ): number | null;
}

const MAX_MS = 24 * 3600 * 1000;

/** True for the backend schemes that speak HTTP/2 (what gRPC needs). */
function isHttp2Backend(b: GatewayBackend): boolean {
  return (
    b.protocol === 'h2' || b.protocol === 'h2s' || b.protocol === 'grpc' || b.protocol === 'grpcs'
  );
}

export function readGrpcAction(
  r: GrpcActionReader,
  merged: Record<string, unknown>,
  at: (key: string) => KeyPath,
  upstreams: ReadonlyMap<string, GatewayUpstream>,
  parseBackendAddress: (raw: string) => GatewayBackend | string,
): GatewayGrpcAction {
  const name = r.string(merged, 'upstream', at('upstream'), true);
  const where = [...at('upstream'), 'upstream'];
  let upstream: string | null = null;
  let backend: GatewayBackend | null = null;
  if (name !== null) {
    const named = upstreams.get(name);
    if (named !== undefined) {
      upstream = name;
      const plain = named.backends.filter((b) => !isHttp2Backend(b));
      if (plain.length > 0) {
        r.invalid(
          where,
          `a grpc route needs HTTP/2 backends, but [[upstream]] ${JSON.stringify(name)} has ${plain.map((b) => b.address).join(', ')}`,
          'write them as grpc://host:port (h2c) or grpcs://host:port (TLS)',
        );
      }
    } else if (/[:/]/.test(name)) {
      const b = parseBackendAddress(name.includes('://') ? name : `grpc://${name}`);
      if (typeof b === 'string') r.invalid(where, `${JSON.stringify(name)}: ${b}`);
      else if (!isHttp2Backend(b)) {
        r.invalid(
          where,
          `${JSON.stringify(name)}: a grpc route needs an HTTP/2 backend (grpc:// or grpcs://)`,
        );
      } else backend = b;
    } else {
      const hint = didYouMean(name, upstreams.keys());
      r.add(
        GATEWAY_CONFIG_CODES.CONFIG_UNKNOWN_UPSTREAM,
        where,
        `no [[upstream]] is named ${JSON.stringify(name)} (and it is not a host:port address)`,
        hint === null ? undefined : `did you mean "${hint}"?`,
      );
    }
  }
  return {
    type: 'grpc',
    upstream,
    backend,
    connectTimeoutMs:
      r.int(merged, 'connect_timeout_ms', at('connect_timeout_ms'), 1, MAX_MS) ?? 5000,
    readTimeoutMs: r.int(merged, 'read_timeout_ms', at('read_timeout_ms'), 1, MAX_MS) ?? 30_000,
  };
}

/**
 * The reverse-proxy settings of a grpc route: the path travels as is (a gRPC method path is
 * `/package.Service/Method`), Host names the backend, X-Forwarded-* is added.
 */
export function grpcProxyAction(action: GatewayGrpcAction): GatewayProxyAction {
  return {
    type: 'proxy',
    upstream: action.upstream,
    backend: action.backend,
    connectTimeoutMs: action.connectTimeoutMs,
    readTimeoutMs: action.readTimeoutMs,
    stripPathPrefix: null,
    addPathPrefix: null,
    preserveHost: false,
    forwarded: 'x-forwarded',
    trustedProxies: [],
    // gRPC clients speak HTTP/2, where the end of a request stream is no half-close.
    clientHalfClose: 'finish',
  };
}

/** True for backends reached over TLS (what `[upstream.tls]` applies to). */
export function isTlsBackend(b: Pick<GatewayBackend, 'protocol'>): boolean {
  return (
    b.protocol === 'https' || b.protocol === 'h2s' || b.protocol === 'grpcs' || b.protocol === 'h3'
  );
}
