/**
 * The gateway's configuration after validation: the `rws.config.toml` proxy sections
 * (`[[upstream]]`, `[[route]]`, `[middleware]`, `[admin]`, `[[tcp_proxy]]`, …) in camelCase,
 * with every default filled in. `parseGatewayConfig()` builds it from TOML text or an object
 * of the same shape as the TOML.
 */
import type {
  GatewayForwardClaims,
  GatewayOidc,
  GatewaySession,
} from './gateway-identity-config.js';

export type {
  GatewayForwardClaims,
  GatewayOidc,
  GatewayOidcPreset,
  GatewaySession,
} from './gateway-identity-config.js';

/** Load-balancing strategies an `[[upstream]]` may name (`least_conn` is read as `least_connections`). */
export type GatewayStrategy =
  | 'round_robin'
  | 'weighted_round_robin'
  | 'least_connections'
  | 'random'
  | 'power_of_two'
  | 'ip_hash'
  | 'uri_hash'
  | 'header_hash'
  | 'cookie_hash'
  | 'first';

/** One backend of an upstream. */
export interface GatewayBackend {
  /** As written in the config. */
  readonly address: string;
  /**
   * `h2`/`grpc` are HTTP/2 with prior knowledge, `h2s`/`grpcs` HTTP/2 over TLS (ALPN), `h3`
   * HTTP/3 over QUIC.
   */
  readonly protocol: 'http' | 'https' | 'h2' | 'h2s' | 'grpc' | 'grpcs' | 'h3';
  /** Host name or IP (IPv6 without brackets). */
  readonly host: string;
  readonly port: number;
  /** `scheme://host:port`, IPv6 in brackets. */
  readonly url: string;
}

/** `[upstream.health_check]` */
export interface GatewayHealthCheck {
  readonly path: string;
  readonly intervalMs: number;
  readonly timeoutMs: number;
  readonly healthyThreshold: number;
  readonly unhealthyThreshold: number;
}

/** `[upstream.tls]`: how `https://` backends are verified and whom we present. */
export interface GatewayUpstreamTls {
  /** PEM file of the CAs that sign the backends' certificates (default: Node's roots). */
  readonly caFile: string | null;
  /** Client certificate and key (PEM files) for mutual TLS. */
  readonly certFile: string | null;
  readonly keyFile: string | null;
  /** SNI and certificate name to expect (default: the backend host, never an IP). */
  readonly serverName: string | null;
  /** Verify the backend certificate. Default true. */
  readonly verify: boolean;
}

/** Keys every `[upstream.discovery]` type shares. */
interface GatewayDiscoveryCommon {
  /** Re-resolve this often besides watch events (`refresh_secs`). */
  readonly refreshMs: number;
  /** Per-request deadline to the control plane. */
  readonly timeoutMs: number;
}

/** `[upstream.discovery]`: where the upstream's backends come from, kept live. */
export type GatewayDiscovery = GatewayDiscoveryCommon &
  (
    | {
        readonly type: 'etcd';
        readonly endpoints: readonly string[];
        readonly prefix: string;
        /** etcd user, with the password read from the variable `passwordEnv`. */
        readonly username: string | null;
        readonly passwordEnv: string | null;
        /** PEM files (relative to the working directory): CA of https endpoints, client cert. */
        readonly caFile: string | null;
        readonly certFile: string | null;
        readonly keyFile: string | null;
      }
    | {
        readonly type: 'consul';
        readonly address: string;
        readonly service: string;
        readonly tag: string | null;
        readonly datacenter: string | null;
        /** The environment variable holding the ACL token (never the token itself). */
        readonly tokenEnv: string | null;
        readonly scheme: 'http' | 'https';
        readonly waitSecs: number;
      }
    | {
        readonly type: 'docker';
        readonly socket: string;
        /** Containers labelled `rws.upstream=<label>` (default: the upstream's name). */
        readonly label: string;
        readonly network: string | null;
        readonly port: number;
      }
    | {
        readonly type: 'kubernetes';
        readonly namespace: string;
        readonly service: string;
        readonly port: number | string;
        readonly scheme: 'http' | 'https';
        readonly apiServer: string | null;
        readonly tokenFile: string | null;
        readonly caFile: string | null;
      }
    | {
        readonly type: 'dns';
        readonly hostname: string;
        readonly recordType: 'A' | 'AAAA' | 'A+AAAA' | 'SRV';
        readonly port: number | null;
        readonly scheme: 'http' | 'https';
        readonly servers: readonly string[];
      }
    | { readonly type: 'file'; readonly path: string }
  );

/** `[kubernetes_ingress]`: routes from Ingress objects, tried after the `[[route]]`s. */
export interface GatewayKubernetesIngress {
  readonly ingressClass: string;
  /** Null: every namespace the service account may list. */
  readonly namespace: string | null;
  readonly apiServer: string | null;
  readonly tokenFile: string | null;
  readonly caFile: string | null;
  readonly refreshMs: number;
  readonly timeoutMs: number;
}

/** `[[upstream]]` */
export interface GatewayUpstream {
  readonly name: string;
  readonly backends: readonly GatewayBackend[];
  readonly strategy: GatewayStrategy;
  /** The header (`header_hash`) or cookie (`cookie_hash`) hashed; null for other strategies. */
  readonly hashKey: string | null;
  readonly healthCheck: GatewayHealthCheck | null;
  readonly tls: GatewayUpstreamTls | null;
  /** Backends kept live from a discovery source; `backends` is then the list used until it answers. */
  readonly discovery: GatewayDiscovery | null;
}

/** `[route.match]`: all present conditions must hold. */
export interface GatewayMatch {
  /** Lower-case host, compared without the port unless the pattern has one; `*.example.com` matches subdomains. */
  readonly host: string | null;
  /** `prefix` (the text before a trailing `*`: `/v1/*` matches `/v1/…`, not `/v1`), else `exact`. */
  readonly path: { readonly kind: 'prefix' | 'exact'; readonly value: string } | null;
  /** Upper-case methods, any of. */
  readonly methods: readonly string[] | null;
  /** Lower-case media-type prefix of `Content-Type`. */
  readonly contentType: string | null;
  /** Lower-case header name → exact value (`*` = present). */
  readonly headers: Readonly<Record<string, string>>;
}

/** `type = "proxy"` */
export interface GatewayProxyAction {
  readonly type: 'proxy';
  /** Name of an `[[upstream]]`, or null when `backend` is inline. */
  readonly upstream: string | null;
  /** An address written directly as `upstream = "127.0.0.1:9000"`. */
  readonly backend: GatewayBackend | null;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
  readonly stripPathPrefix: string | null;
  readonly addPathPrefix: string | null;
  readonly preserveHost: boolean;
  /** `x-forwarded` (X-Forwarded-For/-Proto/-Host), RFC 7239 `forwarded`, or `none`. */
  readonly forwarded: 'x-forwarded' | 'forwarded' | 'none';
  /** Peers whose incoming forwarding headers are kept and extended (else replaced). */
  readonly trustedProxies: readonly string[];
  /**
   * `client_half_close`: `finish` (default) answers a client that half-closed (FIN) after its
   * request; `abort` cancels the backend request on that FIN, as nginx does.
   */
  readonly clientHalfClose: 'abort' | 'finish';
}

/** `type = "grpc"`: gRPC calls over HTTP/2 to `grpc://`/`grpcs://` (or h2) backends. */
export interface GatewayGrpcAction {
  readonly type: 'grpc';
  /** Name of an `[[upstream]]` (all of its backends speak HTTP/2), or null when inline. */
  readonly upstream: string | null;
  /** An address written directly (`upstream = "127.0.0.1:50051"` means `grpc://`). */
  readonly backend: GatewayBackend | null;
  readonly connectTimeoutMs: number;
  readonly readTimeoutMs: number;
}

/**
 * `type = "mcp"`: Streamable HTTP to upstream MCP servers, with the proxy's keys and session
 * affinity: the `Mcp-Session-Id` a backend mints is handed out tagged with that backend, and
 * requests carrying it go back to it.
 */
export interface GatewayMcpAction extends Omit<GatewayProxyAction, 'type'> {
  readonly type: 'mcp';
}

/** `type = "static"`: files under `root`, or objects of a bucket when `storage` is set. */
export interface GatewayStaticAction {
  readonly type: 'static';
  /** The directory served; `''` when `storage` is set. */
  readonly root: string;
  readonly index: readonly string[];
  readonly directoryListing: boolean;
  /** `storage = { driver = … }`: serve a bucket instead of `root`. */
  readonly storage: GatewayStorageSource | null;
}

/** `[route.action] storage = { driver = "local" }`: a directory through the local driver. */
export interface GatewayLocalStorageSource {
  readonly driver: 'local';
  readonly root: string;
  readonly prefix: string;
}

/** `storage = { driver = "s3" }`; credentials come from the environment (`RWS_S3_*`, `AWS_*`). */
export interface GatewayS3StorageSource {
  readonly driver: 's3';
  readonly bucket: string;
  readonly endpoint: string | null;
  readonly region: string | null;
  readonly forcePathStyle: boolean | null;
  readonly prefix: string;
  /**
   * Keys given in the table (only where the reader allows credential keys, as rws's
   * `[acme.storage]` does with secret references); null = from the environment.
   */
  readonly credentials?: {
    readonly accessKeyId: string;
    readonly secretAccessKey: string;
    readonly sessionToken: string | null;
  } | null;
}

/** `storage = { driver = "azure-blob" }`; the account key is read from `account_key_env`. */
export interface GatewayAzureBlobStorageSource {
  readonly driver: 'azure-blob';
  readonly accountName: string;
  readonly container: string;
  readonly endpoint: string | null;
  readonly accountKeyEnv: string;
  readonly prefix: string;
  /** The account key given in the table (where credential keys are allowed); wins over the env. */
  readonly accountKey?: string | null;
}

/** Where a static action reads objects from. */
export type GatewayStorageSource =
  | GatewayLocalStorageSource
  | GatewayS3StorageSource
  | GatewayAzureBlobStorageSource;

/** `type = "redirect"`; `$path` in `location` is the request-target (path and query). */
export interface GatewayRedirectAction {
  readonly type: 'redirect';
  readonly location: string;
  readonly status: 301 | 302 | 303 | 307 | 308;
}

/** `type = "respond"` */
export interface GatewayRespondAction {
  readonly type: 'respond';
  readonly status: number;
  readonly body: string;
  readonly contentType: string;
}

/** What a matched route does. */
export type GatewayAction =
  | GatewayProxyAction
  | GatewayGrpcAction
  | GatewayMcpAction
  | GatewayStaticAction
  | GatewayRedirectAction
  | GatewayRespondAction;

/** `rate_limit` */
export interface GatewayRateLimit {
  readonly maxRequests: number;
  readonly windowSecs: number;
  readonly algorithm: 'sliding-window' | 'token-bucket';
  /** `ip` or a header name. */
  readonly key: { readonly kind: 'ip' } | { readonly kind: 'header'; readonly header: string };
  readonly trustedProxies: readonly string[];
}

/** `auth` */
export type GatewayAuth =
  | {
      readonly type: 'bearer';
      readonly tokenEnv: readonly string[];
      readonly realm: string | null;
    }
  | {
      readonly type: 'jwt';
      readonly secretEnv: string | null;
      readonly publicKeyFile: string | null;
      readonly jwksUrl: string | null;
      readonly algorithms: readonly string[] | null;
      readonly issuer: string | null;
      readonly audience: string | null;
      readonly clockToleranceSecs: number | null;
      readonly realm: string | null;
    }
  | {
      readonly type: 'basic';
      readonly htpasswdFile: string;
      readonly realm: string | null;
    }
  | {
      /** A user logged in through `[oidc]`: login redirect for pages, else 401. */
      readonly type: 'oidc';
      readonly realm: null;
    };

/** `cache` */
export interface GatewayCache {
  readonly ttlSecs: number;
  readonly varyBy: readonly string[];
  readonly maxBytes: number | null;
  readonly maxEntryBytes: number | null;
}

/** `ip_filter` */
export interface GatewayIpFilter {
  readonly allow: readonly string[];
  readonly deny: readonly string[];
  readonly trustedProxies: readonly string[];
}

/** `compress` (`true` or a table): response compression. */
export interface GatewayCompress {
  /** Codings in server preference order; null = the middleware's default (br, zstd, gzip). */
  readonly encodings: readonly ('br' | 'zstd' | 'gzip')[] | null;
  /** Smallest body compressed, bytes; null = the middleware's default. */
  readonly threshold: number | null;
  readonly etag: 'weaken' | 'drop' | null;
}

/** A `security_headers` header: a value, `false` (header off) or null (the default). */
export type GatewayHeaderSetting = string | false | null;

/** `security_headers` (`true` or a table). */
export interface GatewaySecurityHeaders {
  readonly contentSecurityPolicy: GatewayHeaderSetting;
  readonly strictTransportSecurity: GatewayHeaderSetting;
  readonly xFrameOptions: GatewayHeaderSetting;
  readonly referrerPolicy: GatewayHeaderSetting;
  readonly permissionsPolicy: GatewayHeaderSetting;
  readonly crossOriginOpenerPolicy: GatewayHeaderSetting;
  readonly crossOriginResourcePolicy: GatewayHeaderSetting;
  readonly crossOriginEmbedderPolicy: GatewayHeaderSetting;
}

/** `cors` */
export interface GatewayCors {
  readonly allowAll: boolean;
  readonly allowOrigins: readonly string[];
  readonly allowMethods: readonly string[] | null;
  readonly allowHeaders: readonly string[] | null;
  readonly allowCredentials: boolean;
  readonly exposeHeaders: readonly string[] | null;
  readonly maxAgeSecs: number | null;
  readonly allowPrivateNetwork: boolean;
}

/** `csrf` (`true` or a table): double-submit cookie. */
export interface GatewayCsrf {
  readonly cookieName: string | null;
  readonly headerName: string | null;
  /** `false`: the token is only read from the header. */
  readonly formField: string | false | null;
  readonly safeMethods: readonly string[] | null;
}

/** `forward_auth`: ask an auth service first (Traefik forwardAuth, nginx auth_request). */
export interface GatewayForwardAuth {
  readonly address: string;
  readonly authResponseHeaders: readonly string[] | null;
  readonly authRequestHeaders: readonly string[] | null;
  readonly trustForwardHeader: boolean;
  readonly timeoutMs: number | null;
}

/** One `[[…rewrite.request]]` rule. */
export type GatewayRequestRewrite =
  | { readonly type: 'header_set'; readonly name: string; readonly value: string }
  | { readonly type: 'header_remove'; readonly name: string }
  | { readonly type: 'uri_set'; readonly value: string }
  | { readonly type: 'uri_strip_prefix'; readonly prefix: string }
  | { readonly type: 'uri_add_prefix'; readonly prefix: string }
  | {
      readonly type: 'uri_regex';
      readonly pattern: string;
      readonly replacement: string;
      readonly redirect: 301 | 302 | 303 | 307 | 308 | null;
    };

/** One `[[…rewrite.response]]` rule. */
export type GatewayResponseRewrite =
  | { readonly type: 'header_set'; readonly name: string; readonly value: string }
  | { readonly type: 'header_remove'; readonly name: string }
  | { readonly type: 'status'; readonly code: number }
  | { readonly type: 'body_replace'; readonly from: string; readonly to: string };

/** `[route.middleware]` and the global `[middleware]`. */
export interface GatewayMiddleware {
  readonly rateLimit: GatewayRateLimit | null;
  readonly auth: GatewayAuth | null;
  readonly cache: GatewayCache | null;
  readonly ipFilter: GatewayIpFilter | null;
  readonly rewrite: {
    readonly request: readonly GatewayRequestRewrite[];
    readonly response: readonly GatewayResponseRewrite[];
  } | null;
  /** 0 = none. */
  readonly timeoutMs: number;
  /** 0 = none. */
  readonly maxBodySize: number;
  readonly compress: GatewayCompress | null;
  readonly securityHeaders: GatewaySecurityHeaders | null;
  readonly cors: GatewayCors | null;
  readonly csrf: GatewayCsrf | null;
  readonly forwardAuth: GatewayForwardAuth | null;
  /** The logged-in user's claims to the upstream as a signed header (needs `[oidc]`). */
  readonly forwardClaims: GatewayForwardClaims | null;
}

/** `[[route]]` */
export interface GatewayRoute {
  readonly name: string | null;
  /** The index in the config (`route[N]`), for messages. */
  readonly index: number;
  readonly match: GatewayMatch;
  readonly action: GatewayAction;
  readonly middleware: GatewayMiddleware;
}

/** `[admin]`: the reload endpoint. */
export interface GatewayAdmin {
  /** Serve `POST /admin/config/reload` (404 otherwise). */
  readonly reload: boolean;
  /** The env var holding the bearer token the endpoint requires. */
  readonly tokenEnv: string | null;
}

/** `host:port` of an L4 listener or backend. */
export interface GatewayHostPort {
  readonly host: string;
  readonly port: number;
}

/** `[[tcp_proxy]]`: its own listener relaying TCP connections round robin. */
export interface GatewayTcpProxy {
  readonly name: string | null;
  readonly index: number;
  readonly listen: GatewayHostPort;
  /** `host:port` each. */
  readonly backends: readonly string[];
  readonly connectTimeoutMs: number;
  /** 0 = never. */
  readonly idleTimeoutMs: number;
  /** Connect probes; null = off. */
  readonly healthCheck: {
    readonly intervalMs: number;
    readonly timeoutMs: number;
    readonly healthyThreshold: number;
    readonly unhealthyThreshold: number;
  } | null;
}

/** `[[udp_proxy]]`: its own socket relaying datagrams, one session per client. */
export interface GatewayUdpProxy {
  readonly name: string | null;
  readonly index: number;
  readonly listen: GatewayHostPort;
  /** `ip:port` each. */
  readonly backends: readonly string[];
  /** A session without traffic this long ends (rust-web-server's `reply_timeout_ms`). */
  readonly idleTimeoutMs: number;
}

/**
 * `[[ws_proxy]]`: its own HTTP listener that takes WebSocket handshakes only and relays each
 * to a health-checked backend (`ws://` = http, `wss://` = https), then the bytes both ways.
 */
export interface GatewayWsProxy {
  readonly name: string | null;
  readonly index: number;
  readonly listen: GatewayHostPort;
  readonly backends: readonly GatewayBackend[];
  readonly connectTimeoutMs: number;
  /** Time allowed for the backend's answer to the handshake. */
  readonly readTimeoutMs: number;
  /** HTTP probes (HTTPS for wss:// backends); null = off. */
  readonly healthCheck: GatewayHealthCheck | null;
  /** `[ws_proxy.tls]`: CA, client certificate, SNI name for wss:// backends; null = defaults. */
  readonly tls: GatewayUpstreamTls | null;
}

/** The whole validated gateway configuration. */
export interface GatewayConfig {
  readonly upstreams: readonly GatewayUpstream[];
  readonly routes: readonly GatewayRoute[];
  /** Applied around every request the gateway sees, before route middleware. */
  readonly middleware: GatewayMiddleware | null;
  readonly admin: GatewayAdmin;
  readonly tcpProxies: readonly GatewayTcpProxy[];
  readonly udpProxies: readonly GatewayUdpProxy[];
  readonly wsProxies: readonly GatewayWsProxy[];
  /** `[kubernetes_ingress]`, or null. */
  readonly kubernetesIngress: GatewayKubernetesIngress | null;
  /** `[session]`, or null (no sessions). */
  readonly session: GatewaySession | null;
  /** `[oidc]`, or null (no login). */
  readonly oidc: GatewayOidc | null;
}
