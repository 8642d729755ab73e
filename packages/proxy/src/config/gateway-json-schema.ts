/**
 * The JSON Schema (draft 2020-12) of the gateway sections, for editor completion. Hosts merge
 * `properties` into their own schema (the `rws` CLI does). It mirrors `parseGatewayConfig()`;
 * a test checks that every key the parser reads appears here.
 */
type Json = Record<string, unknown>;

const str = (description: string, extra: Json = {}): Json => ({
  type: 'string',
  description,
  ...extra,
});
const int = (description: string, minimum: number, fallback?: number): Json => ({
  type: 'integer',
  description,
  minimum,
  ...(fallback === undefined ? {} : { default: fallback }),
});
const bool = (description: string, fallback: boolean): Json => ({
  type: 'boolean',
  description,
  default: fallback,
});
const strings = (description: string): Json => ({
  type: 'array',
  items: { type: 'string' },
  description,
});
const object = (description: string, properties: Json, required: string[] = []): Json => ({
  type: 'object',
  description,
  additionalProperties: false,
  properties,
  ...(required.length === 0 ? {} : { required }),
});

const upstreamTls = (description: string): Json =>
  object(description, {
    ca_file: str('PEM file of the CAs that sign the backend certificates.'),
    cert_file: str('Client certificate (PEM) for mutual TLS.'),
    key_file: str('Key of cert_file (PEM).'),
    server_name: str('SNI / certificate name to expect.'),
    verify: bool('Verify the backend certificate.', true),
  });

const healthCheck = object('Active health check: GET `path` on each backend; 2xx is healthy.', {
  path: str('Probe path.', { default: '/health' }),
  interval_secs: int('Seconds between probes.', 1, 30),
  timeout_ms: int('Probe timeout (shorter than the interval).', 1, 5000),
  healthy_threshold: int('Consecutive successes to mark a backend healthy.', 1, 2),
  unhealthy_threshold: int('Consecutive failures to mark a backend unhealthy.', 1, 3),
});

const discovery = object(
  '[upstream.discovery]: keeps the backends equal to a source, live (backends is then the list used until it answers).',
  {
    type: {
      enum: ['etcd', 'consul', 'docker', 'kubernetes', 'dns', 'file'],
      description: 'The source.',
    },
    refresh_secs: int('Re-resolve this often besides watch events.', 1, 30),
    timeout_ms: int('Per-request deadline to the control plane.', 1, 5000),
    endpoints: strings('etcd: client URLs, tried in order (default http://127.0.0.1:2379).'),
    prefix: str('etcd: every key under this prefix holds one backend.'),
    username: str('etcd: user to authenticate as (etcd auth enabled); with password_env.'),
    password_env: str("etcd: env var holding the etcd user's password."),
    cert_file: str('etcd: PEM client certificate for https endpoints (with key_file).'),
    key_file: str('etcd: PEM key of cert_file.'),
    address: str('consul: the agent HTTP API.', { default: 'http://127.0.0.1:8500' }),
    service: str('consul, kubernetes: the service name (default: the upstream name).'),
    tag: str('consul: only instances with this tag.'),
    datacenter: str("consul: the datacenter (default: the agent's)."),
    token_env: str('consul: env var holding the ACL token (sent as X-Consul-Token).'),
    wait_secs: int('consul: how long a blocking query waits for a change.', 1, 60),
    scheme: { enum: ['http', 'https'], default: 'http', description: 'Scheme of the backends.' },
    socket: str('docker: the Engine API socket.', { default: '/var/run/docker.sock' }),
    label: str('docker: containers labelled rws.upstream=<label> (default: the upstream name).'),
    network: str('docker: use the address on this network (default: the first).'),
    port: {
      anyOf: [{ type: 'integer', minimum: 1, maximum: 65_535 }, { type: 'string' }],
      description:
        'docker: port without an rws.port label (80); kubernetes: Service port number or name (80); dns: port of A/AAAA backends.',
    },
    namespace: str('kubernetes: the namespace.', { default: 'default' }),
    api_server: str('kubernetes: API server URL (default from KUBERNETES_SERVICE_HOST/PORT).'),
    token_file: str('kubernetes: bearer token file (default: the pod service account).'),
    ca_file: str(
      'kubernetes: CA of the API server (default: the pod service account); etcd: CA of https endpoints.',
    ),
    hostname: str('dns: the name to resolve.'),
    record_type: { enum: ['A', 'AAAA', 'A+AAAA', 'SRV'], default: 'A' },
    servers: strings("dns: DNS servers (default: the system's)."),
    path: str('file: one backend per line; watched.'),
  },
  ['type'],
);

const backends = strings(
  'Backend addresses: `host:port`, `http://host:port`, `https://host:port`, `[v6]:port`; HTTP/2: `grpc://`, `grpcs://`, `h2://`, `h2s://`; HTTP/3: `h3://`.',
);

const proxyKeys: Json = {
  upstream: str('Name of an [[upstream]], or a backend address.'),
  connect_timeout_ms: int('Connect timeout.', 1, 5000),
  read_timeout_ms: int('Response head and body-idle timeout.', 1, 30_000),
  strip_path_prefix: str('Path prefix removed before forwarding.'),
  add_path_prefix: str('Path prefix added before forwarding.'),
  preserve_host: bool('Forward the client Host header instead of the backend address.', false),
  forwarded: {
    enum: ['x-forwarded', 'forwarded', 'none'],
    default: 'x-forwarded',
    description: 'X-Forwarded-For/-Proto/-Host, RFC 7239 Forwarded, or none.',
  },
  trusted_proxies: strings('Peers whose incoming forwarding headers are kept and extended.'),
  client_half_close: {
    enum: ['finish', 'abort'],
    default: 'finish',
    description:
      'A client FIN before the response is complete: finish (answer it, RFC 9112 §9.6) or abort (cancel the backend request, as nginx does).',
  },
};
const mcpKeys: Json = {
  ...proxyKeys,
  read_timeout_ms: int(
    'Response head and body-idle timeout (a JSON-answered tool call sends its head when done).',
    1,
    300_000,
  ),
};
/**
 * The schema of a `{ driver = … }` storage table (`parseStorageSource`); with
 * `isCredentialAllowed`, also its key-pair keys (rws `[acme.storage]`).
 */
export function storageSourceJsonSchema(description: string, isCredentialAllowed = false): Json {
  const credentials: Json = isCredentialAllowed
    ? {
        access_key_id: str('s3: access key id (a secret reference such as env://NAME).'),
        secret_access_key: str('s3: secret access key (a secret reference).'),
        session_token: str('s3: session token of temporary keys (a secret reference).'),
        account_key: str(
          'azure-blob: the account key (a secret reference); wins over account_key_env.',
        ),
      }
    : {};
  return object(
    description,
    {
      driver: { enum: ['local', 's3', 'azure-blob'], description: 'The @rws/storage driver.' },
      prefix: str('Key prefix the request path is appended to (a "/" is added when missing).'),
      root: str('local: the directory (relative to the config file).'),
      bucket: str('s3: the bucket.'),
      endpoint: str('s3, azure-blob: http(s)://host[:port] of the store.'),
      region: str('s3: the region (default from RWS_S3_REGION/AWS_REGION, else us-east-1).'),
      force_path_style: {
        type: 'boolean',
        description: 's3: bucket in the path (default true when endpoint is set).',
      },
      account_name: str('azure-blob: the storage account.'),
      container: str('azure-blob: the container.'),
      account_key_env: str('azure-blob: variable holding the account key.', {
        default: 'AZURE_STORAGE_KEY',
      }),
      ...credentials,
    },
    ['driver'],
  );
}

const staticKeys: Json = {
  root: str('Directory served (relative to the config file).'),
  index: {
    anyOf: [{ type: 'string' }, strings('')],
    description: 'Index file names.',
    default: ['index.html'],
  },
  directory_listing: bool('List directories without an index.', false),
  storage: storageSourceJsonSchema(
    'Serve a bucket instead of root. S3 keys come from RWS_S3_*/AWS_* (or web identity, container role).',
  ),
};
const redirectKeys: Json = {
  location: str('Target; `$path` is replaced by the request path and query.'),
  status: { enum: [301, 302, 303, 307, 308], default: 301, description: 'Redirect status.' },
};
const respondKeys: Json = {
  status: int('Status code.', 200, 200),
  body: str('Body text.', { default: '' }),
  content_type: str('Content-Type.', { default: 'text/plain; charset=utf-8' }),
};

const action = object(
  'What a matched route does. Type-specific keys go directly here or under [route.action.<type>].',
  {
    type: {
      enum: ['proxy', 'static', 'redirect', 'respond', 'grpc', 'mcp'],
      description:
        'mcp proxies to MCP servers (Streamable HTTP) with session affinity by Mcp-Session-Id.',
    },
    ...proxyKeys,
    ...staticKeys,
    ...redirectKeys,
    ...respondKeys,
    proxy: object('Keys of a proxy action.', proxyKeys),
    static: object('Keys of a static action.', staticKeys),
    redirect: object('Keys of a redirect action.', redirectKeys),
    respond: object('Keys of a respond action.', respondKeys),
    mcp: object('Keys of an mcp action.', mcpKeys),
  },
  ['type'],
);

const rewriteRule = (types: string[], description: string): Json => ({
  type: 'array',
  description,
  items: {
    type: 'object',
    required: ['type'],
    properties: {
      type: { enum: types },
      name: str('Header name.'),
      value: str('Header value, URI or prefix.'),
      prefix: str('Path prefix.'),
      pattern: str('Regular expression (uri_regex).'),
      replacement: str('Replacement with $1… (uri_regex).'),
      redirect: {
        enum: [301, 302, 303, 307, 308],
        description: 'Answer a redirect instead (uri_regex).',
      },
      code: int('Status code (status).', 200),
      reason: str('Accepted and ignored (the reason phrase comes from the status).'),
      from: str('Bytes to replace (body_replace).'),
      to: str('Replacement (body_replace).'),
    },
    additionalProperties: false,
  },
});

/** `key = true` (defaults), `false` (off) or a table. */
const trueOr = (description: string, table: Json): Json => ({
  description,
  anyOf: [{ type: 'boolean' }, table],
});
const headerSetting: Json = {
  anyOf: [{ type: 'string' }, { const: false }],
  description: 'The header value, or false to leave the header out.',
};

const middleware = (description: string): Json =>
  object(description, {
    rate_limit: object('Requests per window per client.', {
      max_requests: int('Requests allowed per window.', 1, 1000),
      window_secs: int('Window length.', 1, 60),
      algorithm: { enum: ['sliding_window', 'token_bucket'], default: 'sliding_window' },
      key: str('`ip` or `header:<name>`.', { default: 'ip' }),
      trusted_proxies: strings('Proxies whose X-Forwarded-For is believed.'),
    }),
    auth: object(
      'Authentication (fails closed: a missing env var or file stops startup).',
      {
        type: {
          enum: ['bearer', 'jwt', 'basic', 'oidc'],
          description:
            'oidc: a user logged in through [oidc] (pages are sent to log in, others get 401).',
        },
        token_env: {
          anyOf: [{ type: 'string' }, strings('')],
          description: 'bearer: env var(s) holding the token.',
        },
        secret_env: str('jwt: env var holding the HMAC secret.'),
        public_key_file: str('jwt: PEM public key file.'),
        jwks_url: str('jwt: JWKS URL.'),
        algorithms: strings('jwt: accepted algorithms.'),
        issuer: str('jwt: required iss.'),
        audience: str('jwt: required aud.'),
        clock_tolerance_secs: int('jwt: allowed clock skew.', 0),
        htpasswd_file: str(
          'basic: htpasswd file (bcrypt $2y$/$2b$/$2a$, $apr1$, {SHA256}, {SHA} or plain entries).',
        ),
        users_file: str('basic: another name for htpasswd_file.'),
        realm: str('Realm of the WWW-Authenticate challenge.'),
      },
      ['type'],
    ),
    cache: object('In-memory HTTP cache for GET/HEAD.', {
      ttl_secs: int('Lifetime of responses without Cache-Control freshness.', 0, 60),
      vary_by: strings('Request headers added to the cache key.'),
      max_bytes: int('Total bytes kept.', 1),
      max_entry_bytes: int('Largest body stored.', 1),
    }),
    ip_filter: object('Allow/deny by client address (IPv4/IPv6, CIDR).', {
      allow: strings('Only these pass (when non-empty).'),
      deny: strings('These are refused (deny wins).'),
      trusted_proxies: strings('Proxies whose X-Forwarded-For is believed.'),
    }),
    rewrite: object('Request and response rewriting.', {
      request: rewriteRule(
        [
          'header_set',
          'header_remove',
          'uri_set',
          'uri_strip_prefix',
          'strip_prefix',
          'uri_add_prefix',
          'add_prefix',
          'uri_regex',
        ],
        'Request rules, in order.',
      ),
      response: rewriteRule(
        ['header_set', 'header_remove', 'status', 'status_set', 'body_replace'],
        'Response rules, in order.',
      ),
    }),
    timeout_ms: int('Route deadline (504); 0 = none.', 0, 0),
    max_body_size: int('Largest request body in bytes (413); 0 = none.', 0, 0),
    compress: trueOr(
      'Compress responses by Accept-Encoding (true: the defaults).',
      object('', {
        encodings: {
          type: 'array',
          items: { enum: ['br', 'zstd', 'gzip'] },
          description: 'Codings in server preference order (default br, zstd, gzip).',
        },
        threshold: int('Smallest body compressed, in bytes.', 0),
        etag: { enum: ['weaken', 'drop'], description: 'What happens to a strong ETag.' },
      }),
    ),
    security_headers: trueOr(
      'CSP, HSTS, nosniff, frame options, referrer and permissions policy (true: the defaults).',
      object(
        '',
        Object.fromEntries(
          [
            'content_security_policy',
            'strict_transport_security',
            'x_frame_options',
            'referrer_policy',
            'permissions_policy',
            'cross_origin_opener_policy',
            'cross_origin_resource_policy',
            'cross_origin_embedder_policy',
          ].map((k) => [k, headerSetting]),
        ),
      ),
    ),
    cors: object('CORS for this scope (needs allow_origins or allow_all).', {
      allow_all: bool('Allow every origin.', false),
      allow_origins: strings('Allowed origins (scheme://host[:port]).'),
      allow_methods: strings('Methods a preflight allows.'),
      allow_headers: strings('Request headers a preflight allows.'),
      allow_credentials: bool('Access-Control-Allow-Credentials: true.', false),
      expose_headers: strings('Access-Control-Expose-Headers.'),
      max_age_secs: int('Access-Control-Max-Age of preflights.', 0),
      allow_private_network: bool('Answer Private Network Access preflights.', false),
    }),
    csrf: trueOr(
      'Double-submit CSRF cookie; unsafe methods need the token (403) (true: the defaults).',
      object('', {
        cookie_name: str('Cookie holding the token.'),
        header_name: str('Request header carrying the token.'),
        form_field: {
          anyOf: [{ type: 'string' }, { const: false }],
          description: 'Form field carrying the token, or false (header only).',
        },
        safe_methods: strings('Methods exempt from the check.'),
      }),
    ),
    forward_auth: object(
      'Ask an auth service first: 2xx continues, anything else is returned (503 when unreachable).',
      {
        address: str('http(s) URL of the auth service.'),
        auth_response_headers: strings('Headers copied from the auth answer onto the request.'),
        auth_request_headers: strings('Request headers sent to the auth service (default all).'),
        trust_forward_header: bool('Pass on incoming X-Forwarded-* headers.', false),
        timeout_ms: int('Auth call deadline.', 1),
      },
      ['address'],
    ),
    forward_claims: object(
      "The logged-in user's claims to the upstream as a signed JWS header (needs [oidc]); a client's copy is always removed.",
      {
        header: str('Header name.', { default: 'x-rws-user' }),
        secret: secretRef('HMAC secret (at least 32 bytes) for HS256/384/512.'),
        private_key_file: str('PEM private key instead of secret; needs algorithm.'),
        algorithm: str('HS256 (default with secret), or ES256, EdDSA, RS256… with a private key.'),
        key_id: str('kid in the token header (for key rotation at the backend).'),
        claims: strings('Claims copied from the user (sub is always included).'),
        issuer: str('iss of the token: this gateway.'),
        audience: {
          anyOf: [{ type: 'string' }, strings('')],
          description: 'aud of the token: the backend(s).',
        },
        expires_in_secs: int('Token lifetime.', 1, 60),
      },
      ['issuer', 'audience'],
    ),
  });

const secretRef = (description: string): Json =>
  str(`${description} env://NAME, file:///path or the value itself.`);

const listener = (description: string, extra: Json): Json => ({
  type: 'array',
  description,
  items: object('', { name: str('Label.'), listen: str('ip:port to bind.'), backends, ...extra }),
});

/** The `properties` of the gateway sections, keyed by section name. */
export function createGatewayJsonSchema(): Json {
  return {
    upstream: {
      type: 'array',
      description: '[[upstream]]: a named group of backends shared by routes.',
      items: object(
        '',
        {
          name: str('Name routes refer to.'),
          backends,
          strategy: {
            enum: [
              'round_robin',
              'weighted_round_robin',
              'least_connections',
              'least_conn',
              'random',
              'power_of_two',
              'ip_hash',
              'uri_hash',
              'header_hash',
              'cookie_hash',
              'first',
            ],
            default: 'round_robin',
          },
          hash_key: str('The header (header_hash) or cookie (cookie_hash) to hash.'),
          health_check: healthCheck,
          tls: upstreamTls('TLS to https:// backends (verification on by default).'),
          discovery,
        },
        ['name'],
      ),
    },
    route: {
      type: 'array',
      description:
        '[[route]]: tried in order; the first match wins; unmatched requests fall through.',
      items: object(
        '',
        {
          name: str('Label.'),
          match: object('All present conditions must hold.', {
            host: str('Host (`*.example.com` for subdomains; with `:port` to match the port).'),
            path: str('Exact path, or a prefix ending in `*` (`/v1/*`).'),
            method: { anyOf: [{ type: 'string' }, strings('')], description: 'Method(s).' },
            content_type: str('Content-Type prefix.'),
            headers: {
              type: 'object',
              additionalProperties: { type: 'string' },
              description: 'Header = exact value (`*` = present).',
            },
          }),
          action,
          middleware: middleware('[route.middleware]: applied to this route.'),
        },
        ['action'],
      ),
    },
    middleware: middleware('[middleware]: applied to every request the gateway sees.'),
    admin: object('[admin]: the reload endpoint.', {
      reload: bool('Serve POST /admin/config/reload.', false),
      token_env: str('Env var holding the bearer token the endpoint requires.'),
    }),
    session: object(
      '[session]: server-side sessions keyed by a signed HttpOnly cookie (for [oidc] logins).',
      {
        secrets: {
          anyOf: [secretRef('Signing secret.'), { type: 'array', items: secretRef('') }],
          description:
            'Signing secrets (at least 32 bytes each), newest first: env://NAME, file:///path or the value; required.',
        },
        cookie_name: str('Cookie name.', { default: 'sid' }),
        ttl_secs: int('Session lifetime (idle time with rolling).', 1, 86_400),
        rolling: bool('Extend the lifetime on every request.', true),
        secure: {
          anyOf: [{ type: 'boolean' }, { const: 'auto' }],
          default: 'auto',
          description: 'Secure cookie attribute: auto = when the request came over TLS.',
        },
        store: {
          enum: ['memory', 'redis', 'sql'],
          default: 'memory',
          description:
            'memory (this process), redis (the client given to createGateway) or sql (the database of [database] url under rws; the sqlSessionStore given to createGateway).',
        },
        redis_prefix: str('Redis key prefix (store = "redis").', { default: 'rws:sess:' }),
      },
      ['secrets'],
    ),
    oidc: object(
      '[oidc]: OpenID Connect login for the gateway (needs [session]); routes opt in with auth = { type = "oidc" }.',
      {
        issuer: str('Issuer URL (discovery at /.well-known/openid-configuration).'),
        preset: {
          enum: ['google', 'microsoft', 'github', 'okta', 'auth0', 'keycloak'],
          description: 'A provider preset instead of issuer.',
        },
        tenant: str('microsoft: tenant id or common/organizations/consumers.'),
        domain: str('okta, auth0: the domain.'),
        authorization_server_id: str('okta: the authorization server.'),
        base_url: str('keycloak: the server URL.'),
        realm: str('keycloak: the realm.'),
        client_id: str('The client id registered with the provider.'),
        client_secret: secretRef('The client secret (omit for a public client).'),
        redirect_uri: str('Absolute redirect URI (default: request origin + callback_path).'),
        login_path: str('Starts a login (?returnTo=/path).', { default: '/auth/login' }),
        callback_path: str('The redirect URI path.', { default: '/auth/callback' }),
        logout_path: str('POST logs out (GET shows a confirm page).', { default: '/auth/logout' }),
        post_logout_redirect_uri: str('Where the provider sends the user after logout.'),
        scopes: strings("Requested scopes (default: the provider's; must include openid)."),
        fetch_userinfo: bool('Merge the userinfo claims at login.', false),
      },
      ['client_id'],
    ),
    kubernetes_ingress: object(
      '[kubernetes_ingress]: routes from Kubernetes Ingress objects, tried after the [[route]]s.',
      {
        ingress_class: str('Only Ingresses with this ingressClassName.', { default: 'rws' }),
        namespace: str('Only this namespace (default: all the service account may list).'),
        api_server: str('API server URL (default from KUBERNETES_SERVICE_HOST/PORT).'),
        token_file: str('Bearer token file (default: the pod service account).'),
        ca_file: str('CA of the API server (default: the pod service account).'),
        refresh_secs: int('Re-list this often besides watch events.', 1, 30),
        timeout_ms: int('Per-request deadline to the API server.', 1, 5000),
      },
    ),
    tcp_proxy: listener('[[tcp_proxy]]: its own listener relaying TCP connections round robin.', {
      connect_timeout_ms: int('Connect timeout per backend attempt.', 1, 5000),
      idle_timeout_ms: int('Close both sides after this long without a byte; 0 = never.', 0, 0),
      strategy: { enum: ['round_robin'], default: 'round_robin' },
      health_check: object('Connect probes.', {
        interval_secs: int('Seconds between probes.', 1, 5),
        timeout_ms: int('Probe connect timeout.', 1, 1000),
        healthy_threshold: int('Consecutive successes to bring a backend back.', 1, 1),
        unhealthy_threshold: int('Consecutive failures to take a backend out.', 1, 2),
      }),
    }),
    udp_proxy: listener(
      '[[udp_proxy]]: its own socket relaying datagrams, one session per client.',
      {
        reply_timeout_ms: int('A session without datagrams for this long ends.', 1, 5000),
        buffer_size: int(
          'Accepted for compatibility: 65507 or more (datagrams are relayed whole).',
          65_507,
          65_536,
        ),
        strategy: { enum: ['round_robin'], default: 'round_robin' },
      },
    ),
    ws_proxy: listener(
      '[[ws_proxy]]: a listener relaying WebSocket handshakes and then bytes to ws:// or wss:// backends.',
      {
        connect_timeout_ms: int('Connect timeout per backend attempt.', 1, 5000),
        read_timeout_ms: int('Time allowed for the backend to answer the handshake.', 1, 30_000),
        health_check: healthCheck,
        tls: upstreamTls('TLS to wss:// backends (verification on by default).'),
      },
    ),
  };
}
