import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { formatConfigProblem, parseGatewayConfig } from '../src/index.js';

const README = readFileSync(
  new URL('./fixtures/rust-web-server-readme.toml', import.meta.url),
  'utf8',
);

/** The problems of `text` as `line: key: message (hint)` strings. */
function problems(text: string): string[] {
  const { config, problems: list } = parseGatewayConfig(text, { file: 'g.toml' });
  expect(config).toBeNull();
  return list.map(formatConfigProblem);
}

const respond = '[route.action]\ntype = "respond"\n';

describe('parseGatewayConfig: the rust-web-server README example', () => {
  it('reads every section as written (inline middleware tables, action keys under [route.action])', () => {
    const { config, problems: list } = parseGatewayConfig(README);
    expect(list).toEqual([]);
    expect(config).toEqual({
      upstreams: [
        {
          name: 'api',
          strategy: 'round_robin',
          hashKey: null,
          backends: [
            {
              address: '10.0.0.10:8080',
              protocol: 'http',
              host: '10.0.0.10',
              port: 8080,
              url: 'http://10.0.0.10:8080',
            },
            {
              address: '10.0.0.11:8080',
              protocol: 'http',
              host: '10.0.0.11',
              port: 8080,
              url: 'http://10.0.0.11:8080',
            },
          ],
          healthCheck: {
            path: '/healthz',
            intervalMs: 10_000,
            timeoutMs: 2000,
            healthyThreshold: 2,
            unhealthyThreshold: 3,
          },
          tls: null,
          discovery: null,
        },
      ],
      routes: [
        {
          name: null,
          index: 0,
          match: {
            host: 'api.example.com',
            path: { kind: 'prefix', value: '/v1/' },
            methods: null,
            contentType: null,
            headers: {},
          },
          action: {
            type: 'proxy',
            upstream: 'api',
            backend: null,
            connectTimeoutMs: 5000,
            readTimeoutMs: 30_000,
            stripPathPrefix: null,
            addPathPrefix: null,
            preserveHost: false,
            forwarded: 'x-forwarded',
            trustedProxies: [],
            clientHalfClose: 'finish',
          },
          middleware: {
            rateLimit: {
              maxRequests: 500,
              windowSecs: 60,
              algorithm: 'sliding-window',
              key: { kind: 'ip' },
              trustedProxies: [],
            },
            auth: { type: 'bearer', tokenEnv: ['API_TOKEN'], realm: null },
            cache: null,
            ipFilter: null,
            rewrite: null,
            timeoutMs: 0,
            maxBodySize: 0,
            compress: null,
            securityHeaders: null,
            cors: null,
            csrf: null,
            forwardAuth: null,
            forwardClaims: null,
          },
        },
        {
          name: null,
          index: 1,
          match: {
            host: null,
            path: { kind: 'prefix', value: '/' },
            methods: null,
            contentType: null,
            headers: {},
          },
          action: {
            type: 'respond',
            status: 404,
            body: 'Not Found',
            contentType: 'text/plain; charset=utf-8',
          },
          middleware: expect.objectContaining({ auth: null, rateLimit: null }),
        },
      ],
      middleware: null,
      admin: { reload: false, tokenEnv: null },
      tcpProxies: [],
      udpProxies: [],
      wsProxies: [],
      kubernetesIngress: null,
      session: null,
      oidc: null,
    });
  });

  it('the sub-table spellings give the same config', () => {
    const subTables = README.replace(
      'type = "proxy"\nupstream = "api"',
      'type = "proxy"\n[route.action.proxy]\nupstream = "api"',
    )
      .replace(
        'rate_limit = { max_requests = 500, window_secs = 60 }\nauth = { type = "bearer", token_env = "API_TOKEN" }',
        '[route.middleware.rate_limit]\nmax_requests = 500\nwindow_secs = 60\n[route.middleware.auth]\ntype = "bearer"\ntoken_env = "API_TOKEN"',
      )
      .replace(
        'type = "respond"\nstatus = 404\nbody = "Not Found"',
        'type = "respond"\n[route.action.respond]\nstatus = 404\nbody = "Not Found"',
      );
    expect(subTables).not.toBe(README);
    expect(parseGatewayConfig(subTables).config).toEqual(parseGatewayConfig(README).config);
  });

  it('an object of the TOML shape validates the same way (no lines)', () => {
    const { problems: list } = parseGatewayConfig({ route: [{ action: { type: 'respnd' } }] });
    expect(list.map(formatConfigProblem)).toEqual([
      'route[0].action.type: unknown action type "respnd" (one of proxy, grpc, static, redirect, respond, mcp) (did you mean "respond"?)',
    ]);
  });
});

describe('parseGatewayConfig: every problem, with key path and line', () => {
  it.each<[string, string, string[]]>([
    ['TOML syntax', '[[route]\n', ['g.toml:1: (syntax): ']],
    [
      'unknown top-level key',
      '[[routes]]\n',
      ['g.toml:1: routes: unknown key (did you mean "route"?)'],
    ],
    [
      '[route] instead of [[route]]',
      `[route]\n${respond}`,
      ['g.toml:1: route: must be an array of tables: write [[route]], not [route]'],
    ],
    [
      'unknown route key',
      `[[route]]\nnmae = "x"\n${respond}`,
      ['g.toml:2: route[0].nmae: unknown key (did you mean "name"?)'],
    ],
    [
      'missing action',
      '[[route]]\nname = "x"\n',
      ['g.toml:1: route[0]: is missing [route.action]'],
    ],
    [
      'missing action type',
      '[[route]]\n[route.action]\nstatus = 200\n',
      ['g.toml:2: route[0].action: is missing type'],
    ],
    [
      'unknown action type',
      '[[route]]\n[route.action]\ntype = "proxyy"\n',
      [
        'g.toml:3: route[0].action.type: unknown action type "proxyy" (one of proxy, grpc, static, redirect, respond, mcp) (did you mean "proxy"?)',
      ],
    ],
    [
      'grpc route to an upstream without HTTP/2 backends',
      '[[upstream]]\nname = "web"\nbackends = ["h:1"]\n[[route]]\n[route.action]\ntype = "grpc"\nupstream = "web"\n',
      [
        'g.toml:7: route[0].action.upstream: a grpc route needs HTTP/2 backends, but [[upstream]] "web" has h:1 (write them as grpc://host:port (h2c) or grpcs://host:port (TLS))',
      ],
    ],
    [
      'grpc route to an inline http:// address',
      '[[route]]\n[route.action]\ntype = "grpc"\nupstream = "http://x:1"\n',
      [
        'g.toml:4: route[0].action.upstream: "http://x:1": a grpc route needs an HTTP/2 backend (grpc:// or grpcs://)',
      ],
    ],
    [
      'mcp action without an upstream (issue #10)',
      '[[route]]\n[route.action]\ntype = "mcp"\n',
      ['g.toml:2: route[0].action: is missing upstream'],
    ],
    [
      'mcp action: unknown upstream, unknown key, bad timeout in [route.action.mcp]',
      '[[route]]\n[route.action]\ntype = "mcp"\nupstream = "tools"\nsession_affinity = true\n[route.action.mcp]\nread_timeout_ms = 0\n',
      [
        'g.toml:4: route[0].action.upstream: no [[upstream]] is named "tools" (and it is not a host:port address)',
        'g.toml:5: route[0].action.session_affinity: unknown key for a mcp action',
        'g.toml:7: route[0].action.mcp.read_timeout_ms: must be between 1 and 86400000, got 0',
      ],
    ],
    [
      'unknown action key',
      '[[route]]\n[route.action]\ntype = "respond"\nstatuss = 200\n',
      [
        'g.toml:4: route[0].action.statuss: unknown key for a respond action (did you mean "status"?)',
      ],
    ],
    [
      'key of another type directly',
      '[[route]]\n[route.action]\ntype = "respond"\nupstream = "api"\n',
      ['g.toml:4: route[0].action.upstream: unknown key for a respond action'],
    ],
    [
      'sub-table of another type',
      '[[route]]\n[route.action]\ntype = "respond"\n[route.action.proxy]\nupstream = "api"\n',
      [
        'g.toml:4: route[0].action.proxy: [route.action.proxy] given, but the action type is "respond"',
      ],
    ],
    [
      'key in both places',
      '[[route]]\n[route.action]\ntype = "respond"\nstatus = 200\n[route.action.respond]\nstatus = 201\n',
      [
        'g.toml:6: route[0].action.respond.status: status is also set directly under [route.action]; keep one',
      ],
    ],
    [
      'missing upstream',
      '[[upstream]]\nname = "api"\nbackends = ["127.0.0.1:1"]\n[[route]]\n[route.action]\ntype = "proxy"\nupstream = "apo"\n',
      [
        'g.toml:7: route[0].action.upstream: no [[upstream]] is named "apo" (and it is not a host:port address) (did you mean "api"?)',
      ],
    ],
    [
      'proxy without upstream',
      '[[route]]\n[route.action]\ntype = "proxy"\n',
      ['g.toml:2: route[0].action: is missing upstream'],
    ],
    [
      'bad inline backend',
      '[[route]]\n[route.action]\ntype = "proxy"\nupstream = "127.0.0.1:99999"\n',
      ['g.toml:4: route[0].action.upstream: "127.0.0.1:99999": port "99999" must be 1-65535'],
    ],
    [
      'wrong type',
      '[[route]]\n[route.action]\ntype = "respond"\nstatus = "404"\n',
      ['g.toml:4: route[0].action.status: must be an integer, got a string'],
    ],
    [
      'out of range',
      '[[route]]\n[route.action]\ntype = "respond"\nstatus = 99\n',
      ['g.toml:4: route[0].action.status: must be between 200 and 599, got 99'],
    ],
    [
      'redirect status',
      '[[route]]\n[route.action]\ntype = "redirect"\nlocation = "/x"\nstatus = 200\n',
      [
        'g.toml:5: route[0].action.status: a redirect status is one of 301, 302, 303, 307, 308, got 200',
      ],
    ],
    [
      'redirect without location',
      '[[route]]\n[route.action]\ntype = "redirect"\n',
      ['g.toml:2: route[0].action: is missing location'],
    ],
    [
      'static without root',
      '[[route]]\n[route.action]\ntype = "static"\nindex = ["a/b.html"]\n',
      [
        'g.toml:2: route[0].action: is missing root',
        'g.toml:4: route[0].action.index[0]: must be a file name without "/"',
      ],
    ],
    [
      'strip prefix not a path',
      '[[route]]\n[route.action]\ntype = "proxy"\nupstream = "127.0.0.1:1"\nstrip_path_prefix = "api"\n',
      [
        'g.toml:5: route[0].action.strip_path_prefix: must be a path starting with "/" (no spaces, "?" or "#"), got "api"',
      ],
    ],
    [
      'match path',
      `[[route]]\n[route.match]\npath = "v1/*"\n${respond}`,
      [
        'g.toml:3: route[0].match.path: "v1/*" must start with "/" and may only end with "*" (prefix match)',
      ],
    ],
    [
      'match path star inside',
      `[[route]]\n[route.match]\npath = "/a/*/b"\n${respond}`,
      [
        'g.toml:3: route[0].match.path: "/a/*/b" must start with "/" and may only end with "*" (prefix match)',
      ],
    ],
    [
      'match host',
      `[[route]]\n[route.match]\nhost = "a b"\n${respond}`,
      [
        'g.toml:3: route[0].match.host: "a b" is not a host name (optionally *.domain or with :port)',
      ],
    ],
    [
      'match method',
      `[[route]]\n[route.match]\nmethod = ["GET", "G T"]\n${respond}`,
      ['g.toml:3: route[0].match.method[1]: "G T" is not an HTTP method'],
    ],
    [
      'match header name',
      `[[route]]\n[route.match]\nheaders = { "x y" = "1" }\n${respond}`,
      ['g.toml:3: route[0].match.headers.x y: "x y" is not a valid header name'],
    ],
    [
      'match unknown key',
      `[[route]]\n[route.match]\npaht = "/"\n${respond}`,
      ['g.toml:3: route[0].match.paht: unknown key (did you mean "path"?)'],
    ],
    [
      'upstream without name/backends',
      '[[upstream]]\nstrategy = "least_conn"\n',
      [
        'g.toml:1: upstream[0]: is missing name',
        'g.toml:1: upstream[0]: is missing backends (or an [upstream.discovery] source)',
      ],
    ],
    [
      'duplicate upstream',
      '[[upstream]]\nname = "a"\nbackends = ["h:1"]\n[[upstream]]\nname = "a"\nbackends = ["h:2"]\n',
      ['g.toml:5: upstream[1].name: upstream "a" is already defined by upstream[0]'],
    ],
    [
      'bad backends',
      '[[upstream]]\nname = "a"\nbackends = ["::1:80", "http://h:1/path", "ftp://h:1", "h2://h:1/p", "h:0", "[::1]:80", "https://h"]\n',
      [
        'g.toml:3: upstream[0].backends[0]: "::1:80": an IPv6 address must be written in brackets: [::1]:8080',
        'g.toml:3: upstream[0].backends[1]: "http://h:1/path": a backend is scheme://host:port without a path (use strip_path_prefix/add_path_prefix)',
        'g.toml:3: upstream[0].backends[2]: "ftp://h:1": unknown scheme ftp:// (use http://, https://, grpc://, grpcs://, h2://, h2s:// or h3://)',
        'g.toml:3: upstream[0].backends[3]: "h2://h:1/p": a backend is scheme://host:port without a path (use strip_path_prefix/add_path_prefix)',
        'g.toml:3: upstream[0].backends[4]: "h:0": port "0" must be 1-65535',
      ],
    ],
    [
      'empty backends',
      '[[upstream]]\nname = "a"\nbackends = []\n',
      ['g.toml:3: upstream[0].backends: must list at least one backend'],
    ],
    [
      'unknown strategy',
      '[[upstream]]\nname = "a"\nbackends = ["h:1"]\nstrategy = "round-robin"\n',
      [
        'g.toml:4: upstream[0].strategy: unknown strategy "round-robin" (one of round_robin, weighted_round_robin, least_connections, least_conn, random, power_of_two, ip_hash, uri_hash, header_hash, cookie_hash, first) (did you mean "round_robin"?)',
      ],
    ],
    [
      'hash_key missing',
      '[[upstream]]\nname = "a"\nbackends = ["h:1"]\nstrategy = "header_hash"\n',
      ['g.toml:1: upstream[0]: is missing hash_key (the header to hash)'],
    ],
    [
      'hash_key without a hash strategy',
      '[[upstream]]\nname = "a"\nbackends = ["h:1"]\nhash_key = "x-user"\n',
      [
        'g.toml:4: upstream[0].hash_key: hash_key is only read by header_hash and cookie_hash, not round_robin',
      ],
    ],
    [
      'proxy forwarding',
      '[[route]]\n[route.action]\ntype = "proxy"\nupstream = "127.0.0.1:1"\nforwarded = "rfc7239"\ntrusted_proxies = ["10.0.0.0/99"]\n',
      [
        'g.toml:5: route[0].action.forwarded: must be "x-forwarded", "forwarded" or "none", got "rfc7239"',
        'g.toml:6: route[0].action.trusted_proxies[0]: "10.0.0.0/99": prefix length must be 0-32',
      ],
    ],
    [
      'client_half_close value (issue #10)',
      '[[route]]\n[route.action]\ntype = "proxy"\nupstream = "127.0.0.1:1"\nclient_half_close = "close"\n',
      ['g.toml:5: route[0].action.client_half_close: must be "abort" or "finish", got "close"'],
    ],
    [
      'client_half_close type (issue #10)',
      '[[route]]\n[route.action]\ntype = "proxy"\nupstream = "127.0.0.1:1"\nclient_half_close = true\n',
      ['g.toml:5: route[0].action.client_half_close: must be a string, got a boolean'],
    ],
    [
      'tls for http-only backends',
      '[[upstream]]\nname = "a"\nbackends = ["h:1"]\n[upstream.tls]\nverify = false\n',
      [
        'g.toml:4: upstream[0].tls: [upstream.tls] applies to https://, grpcs://, h2s:// and h3:// backends, and this upstream has none',
      ],
    ],
    [
      'tls cert without key',
      '[[upstream]]\nname = "a"\nbackends = ["https://h"]\n[upstream.tls]\ncert_file = "c.pem"\nca_fil = "x"\n',
      [
        'g.toml:4: upstream[0].tls: cert_file and key_file go together (the client certificate and its key)',
        'g.toml:6: upstream[0].tls.ca_fil: unknown key (did you mean "ca_file"?)',
      ],
    ],
    [
      'health check',
      '[[upstream]]\nname = "a"\nbackends = ["h:1"]\n[upstream.health_check]\npath = "healthz"\ninterval_secs = 1\ntimeout_ms = 5000\nhealthy = 2\n',
      [
        'g.toml:5: upstream[0].health_check.path: must be a path starting with "/" (no spaces, "?" or "#"), got "healthz"',
        'g.toml:7: upstream[0].health_check.timeout_ms: timeout_ms (5000) must be shorter than interval_secs (1 s)',
        'g.toml:8: upstream[0].health_check.healthy: unknown key (did you mean "healthy_threshold"?)',
      ],
    ],
    [
      'middleware unknown key',
      `[[route]]\n${respond}[route.middleware]\nrate_limt = { max_requests = 1 }\n`,
      ['g.toml:5: route[0].middleware.rate_limt: unknown key (did you mean "rate_limit"?)'],
    ],
    [
      'rate limit values',
      `[[route]]\n${respond}[route.middleware]\nrate_limit = { max_requests = 0, window = 60, key = "cookie" }\n`,
      [
        'g.toml:5: route[0].middleware.rate_limit.window: unknown key (did you mean "window_secs"?)',
        'g.toml:5: route[0].middleware.rate_limit.key: must be "ip" or "header:<name>", got "cookie"',
        'g.toml:5: route[0].middleware.rate_limit.max_requests: must be between 1 and 1000000000, got 0',
      ],
    ],
    [
      'auth type',
      `[[route]]\n${respond}[route.middleware.auth]\ntype = "bearr"\n`,
      [
        'g.toml:5: route[0].middleware.auth.type: auth type must be bearer, jwt, basic or oidc, got "bearr" (did you mean "bearer"?)',
      ],
    ],
    [
      'bearer without token_env',
      `[[route]]\n${respond}[route.middleware.auth]\ntype = "bearer"\ntoken = "x"\n`,
      [
        'g.toml:4: route[0].middleware.auth: is missing token_env (bearer auth never starts open)',
        'g.toml:6: route[0].middleware.auth.token: unknown key (did you mean "token_env"?)',
      ],
    ],
    [
      'jwt key sources',
      `[[route]]\n${respond}[route.middleware.auth]\ntype = "jwt"\nsecret_env = "S"\njwks_url = "ftp://x"\n`,
      [
        'g.toml:4: route[0].middleware.auth: give only one of secret_env, public_key_file, jwks_url',
        'g.toml:7: route[0].middleware.auth.jwks_url: must be an http(s) URL',
      ],
    ],
    [
      'jwt without key',
      `[[route]]\n${respond}[route.middleware.auth]\ntype = "jwt"\n`,
      ['g.toml:4: route[0].middleware.auth: is missing secret_env, public_key_file or jwks_url'],
    ],
    [
      'basic file twice',
      `[[route]]\n${respond}[route.middleware.auth]\ntype = "basic"\nhtpasswd_file = "a"\nusers_file = "b"\n`,
      [
        'g.toml:7: route[0].middleware.auth.users_file: users_file is another name for htpasswd_file; keep one',
      ],
    ],
    [
      'basic without file',
      `[[route]]\n${respond}[route.middleware.auth]\ntype = "basic"\n`,
      ['g.toml:4: route[0].middleware.auth: is missing htpasswd_file'],
    ],
    [
      'ip filter',
      `[[route]]\n${respond}[route.middleware.ip_filter]\nallow = ["10.0.0.0/33", "nope"]\n`,
      [
        'g.toml:5: route[0].middleware.ip_filter.allow[0]: "10.0.0.0/33": prefix length must be 0-32',
        'g.toml:5: route[0].middleware.ip_filter.allow[1]: "nope" is not an IPv4/IPv6 address or CIDR',
      ],
    ],
    [
      'cache',
      `[[route]]\n${respond}[route.middleware.cache]\nttl_secs = -1\nvary_by = "accept"\n`,
      [
        'g.toml:5: route[0].middleware.cache.ttl_secs: must be between 0 and 31622400, got -1',
        'g.toml:6: route[0].middleware.cache.vary_by: must be an array of strings, got a string',
      ],
    ],
    [
      'flat scalars',
      `[[route]]\n${respond}[route.middleware]\ntimeout_ms = 1.5\nmax_body_size = "1mb"\n`,
      [
        'g.toml:5: route[0].middleware.timeout_ms: must be an integer, got a number',
        'g.toml:6: route[0].middleware.max_body_size: must be an integer, got a string',
      ],
    ],
    [
      'rewrite rules',
      `[[route]]\n${respond}[[route.middleware.rewrite.request]]\ntype = "uri_regex"\npattern = "("\nreplacement = "/x"\n[[route.middleware.rewrite.request]]\ntype = "header_sett"\n[[route.middleware.rewrite.response]]\ntype = "status"\n`,
      [
        'g.toml:6: route[0].middleware.rewrite.request[0].pattern: not a valid regular expression: Invalid regular expression: /(/: Unterminated group',
        'g.toml:9: route[0].middleware.rewrite.request[1].type: unknown request rewrite "header_sett" (one of header_set, header_remove, uri_set, uri_strip_prefix, uri_add_prefix, uri_regex) (did you mean "header_set"?)',
        'g.toml:10: route[0].middleware.rewrite.response[0]: is missing code',
      ],
    ],
    [
      'global middleware log_format',
      '[middleware]\nlog_format = "json"\n',
      [
        'g.toml:2: middleware.log_format: the access-log format is the top-level log_format key, not [middleware].log_format',
      ],
    ],
    [
      'admin without token',
      '[admin]\nreload = true\n',
      ['g.toml:1: admin: reload = true needs token_env (the endpoint is never open)'],
    ],
    [
      'tcp proxy',
      '[[tcp_proxy]]\nname = "db"\nlisten = "db:5432"\nbackends = ["db", "h:0"]\nstrategy = "least_conn"\n[tcp_proxy.health_check]\npath = "/"\n',
      [
        'g.toml:3: tcp_proxy[0].listen: "db:5432" must be an IP address to bind',
        'g.toml:4: tcp_proxy[0].backends[0]: "db" needs a port: host:port',
        'g.toml:4: tcp_proxy[0].backends[1]: "h:0" needs a port 1-65535',
        'g.toml:5: tcp_proxy[0].strategy: L4 proxies balance round robin only; "least_conn" is not supported yet (issue #10)',
        'g.toml:7: tcp_proxy[0].health_check.path: unknown key',
      ],
    ],
    [
      'udp proxy',
      '[[udp_proxy]]\nlisten = "dns"\nbackends = ["resolver:53"]\nbuffer = 1\nbuffer_size = 512\n',
      [
        'g.toml:2: udp_proxy[0].listen: "dns" needs a port: host:port',
        'g.toml:3: udp_proxy[0].backends[0]: "resolver:53" must be an IP address',
        'g.toml:4: udp_proxy[0].buffer: unknown key (did you mean "buffer_size"?)',
        'g.toml:5: udp_proxy[0].buffer_size: datagrams are relayed whole (up to 65507 bytes); a smaller buffer_size that would truncate them is not supported',
      ],
    ],
    [
      'ws proxy: bad listen, backend, timeout, unknown key, health check',
      '[[ws_proxy]]\nlisten = "0.0.0.0"\nbackends = ["ftp://h:1", "ws://h:0"]\nread_timeout_ms = 0\nconect_timeout_ms = 5\n[ws_proxy.health_check]\npath = "h"\n[[ws_proxy]]\nbackends = []\n',
      [
        'g.toml:2: ws_proxy[0].listen: "0.0.0.0" needs a port: host:port',
        'g.toml:3: ws_proxy[0].backends[0]: "ftp://h:1": unknown scheme ftp:// (use http://, https://, grpc://, grpcs://, h2://, h2s:// or h3://)',
        'g.toml:3: ws_proxy[0].backends[1]: "ws://h:0": port "0" must be 1-65535',
        'g.toml:4: ws_proxy[0].read_timeout_ms: must be between 1 and 86400000, got 0',
        'g.toml:5: ws_proxy[0].conect_timeout_ms: unknown key (did you mean "connect_timeout_ms"?)',
        'g.toml:7: ws_proxy[0].health_check.path: must be a path starting with "/" (no spaces, "?" or "#"), got "h"',
        'g.toml:8: ws_proxy[1]: is missing listen',
        'g.toml:9: ws_proxy[1].backends: must list at least one backend',
      ],
    ],
    [
      'ws proxy: HTTP/2 and gRPC backends cannot carry WebSocket upgrades',
      '[[ws_proxy]]\nlisten = "127.0.0.1:9000"\nbackends = ["grpc://h:1", "ws://h:2"]\n',
      [
        'g.toml:3: ws_proxy[0].backends: "grpc://h:1": ws_proxy backends are ws://, wss:// or host:port',
      ],
    ],
  ])('%s', (_name, text, expected) => {
    const got = problems(text);
    if (expected.length === 1 && expected[0]!.endsWith(': ')) expect(got[0]).toContain(expected[0]);
    else expect(got).toEqual(expected);
  });

  it('reports problems of several sections at once, in file order', () => {
    const text = `[[upstream]]\nname = "a"\nbackends = ["h:1"]\nstrategy = "nope"\n[[route]]\n[route.action]\ntype = "proxy"\nupstream = "b"\n[[route]]\n[route.action]\ntype = "respond"\nstatus = 1\n`;
    const got = problems(text);
    expect(got.map((p) => p.split(':')[1])).toEqual(['4', '8', '12']);
  });

  it("ignoreKeys leaves other owners' keys alone", () => {
    const { problems: list } = parseGatewayConfig(`port = 1\n[[route]]\n${respond}`, {
      ignoreKeys: ['port'],
    });
    expect(list).toEqual([]);
  });
});

describe('parseGatewayConfig: HTTP/3 backends (issue #21)', () => {
  it('reads h3:// backends as TLS (port 443 by default) and lets [upstream.tls] apply', () => {
    const { config, problems: list } = parseGatewayConfig(
      '[[upstream]]\nname = "q"\nbackends = ["h3://a.example", "h3://[::1]:8443"]\n[upstream.tls]\nca_file = "ca.pem"\n',
    );
    expect(list).toEqual([]);
    expect(config?.upstreams[0]?.backends).toEqual([
      {
        address: 'h3://a.example',
        protocol: 'h3',
        host: 'a.example',
        port: 443,
        url: 'h3://a.example:443',
      },
      {
        address: 'h3://[::1]:8443',
        protocol: 'h3',
        host: '::1',
        port: 8443,
        url: 'h3://[::1]:8443',
      },
    ]);
  });
});

describe('parseGatewayConfig: the remaining checks, one each', () => {
  it.each<[string, string, string[]]>([
    [
      'array item not a table',
      'route = [1]\n',
      ['g.toml:1: route[0]: must be a table, got an integer'],
    ],
    [
      'section not a table',
      'middleware = 3\n',
      ['g.toml:1: middleware: must be a table ([middleware]), got an integer'],
    ],
    [
      'string expected',
      '[[upstream]]\nname = 7\nbackends = ["h:1"]\n',
      ['g.toml:2: upstream[0].name: must be a string, got an integer'],
    ],
    [
      'boolean expected',
      '[admin]\nreload = "yes"\n',
      ['g.toml:2: admin.reload: must be true or false, got a string'],
    ],
    [
      'empty required string',
      '[[route]]\n[route.action]\ntype = "static"\nroot = " "\n',
      ['g.toml:4: route[0].action.root: must not be empty'],
    ],
    [
      'header match value',
      '[[route]]\n[route.match]\nheaders = { x-a = 1 }\n[route.action]\ntype = "respond"\n',
      ['g.toml:3: route[0].match.headers.x-a: must be a string, got an integer'],
    ],
    [
      'location with CR',
      '[[route]]\n[route.action]\ntype = "redirect"\nlocation = "/a\\r\\nSet-Cookie: x"\n',
      ['g.toml:4: route[0].action.location: must not contain CR, LF or NUL'],
    ],
    [
      'content_type with LF',
      '[[route]]\n[route.action]\ntype = "respond"\ncontent_type = "text/plain\\nx: y"\n',
      ['g.toml:4: route[0].action.content_type: must not contain CR, LF or NUL'],
    ],
    [
      'content_type above U+00FF (header values are byte strings)',
      '[[route]]\n[route.action]\ntype = "respond"\ncontent_type = "text/x-\u20ac"\n',
      [
        'g.toml:4: route[0].action.content_type: must not contain a character above U+00FF (a header value is a byte string)',
      ],
    ],
    [
      'rewrite uri_set',
      '[[route]]\n[route.action]\ntype = "respond"\n[[route.middleware.rewrite.request]]\ntype = "uri_set"\nvalue = "x"\n',
      ['g.toml:6: route[0].middleware.rewrite.request[0].value: must start with "/"'],
    ],
    [
      'rewrite header name',
      '[[route]]\n[route.action]\ntype = "respond"\n[[route.middleware.rewrite.response]]\ntype = "header_set"\nname = "a b"\nvalue = "1"\n',
      ['g.toml:6: route[0].middleware.rewrite.response[0].name: "a b" is not a valid header name'],
    ],
    [
      'rewrite strip prefix missing',
      '[[route]]\n[route.action]\ntype = "respond"\n[[route.middleware.rewrite.request]]\ntype = "strip_prefix"\n',
      ['g.toml:4: route[0].middleware.rewrite.request[0]: is missing prefix'],
    ],
    [
      'rewrite prefix and value',
      '[[route]]\n[route.action]\ntype = "respond"\n[[route.middleware.rewrite.request]]\ntype = "add_prefix"\nprefix = "/a"\nvalue = "/b"\n',
      [
        'g.toml:7: route[0].middleware.rewrite.request[0].value: value is another name for prefix; keep one',
      ],
    ],
    [
      'rewrite redirect status',
      '[[route]]\n[route.action]\ntype = "respond"\n[[route.middleware.rewrite.request]]\ntype = "uri_regex"\npattern = "^/a$"\nreplacement = "/b"\nredirect = 200\n',
      [
        'g.toml:8: route[0].middleware.rewrite.request[0].redirect: must be one of 301, 302, 303, 307, 308',
      ],
    ],
    [
      'rewrite body_replace without from',
      '[[route]]\n[route.action]\ntype = "respond"\n[[route.middleware.rewrite.response]]\ntype = "body_replace"\nto = "x"\n',
      ['g.toml:4: route[0].middleware.rewrite.response[0]: is missing from'],
    ],
    [
      'rewrite response type',
      '[[route]]\n[route.action]\ntype = "respond"\n[[route.middleware.rewrite.response]]\ntype = "stat"\n',
      [
        'g.toml:5: route[0].middleware.rewrite.response[0].type: unknown response rewrite "stat" (one of header_set, header_remove, status, body_replace) (did you mean "status"?)',
      ],
    ],
    [
      'rate limit algorithm and header key',
      '[[route]]\n[route.action]\ntype = "respond"\n[route.middleware.rate_limit]\nalgorithm = "leaky"\nkey = "header:a b"\n',
      [
        'g.toml:5: route[0].middleware.rate_limit.algorithm: must be "sliding_window" or "token_bucket", got "leaky"',
        'g.toml:6: route[0].middleware.rate_limit.key: "a b" is not a valid header name',
      ],
    ],
    [
      'cache vary_by header',
      '[[route]]\n[route.action]\ntype = "respond"\n[route.middleware.cache]\nvary_by = ["a b"]\n',
      ['g.toml:5: route[0].middleware.cache.vary_by[0]: "a b" is not a valid header name'],
    ],
    [
      'admin unknown key',
      '[admin]\ntoken = "x"\n',
      ['g.toml:2: admin.token: unknown key (did you mean "token_env"?)'],
    ],
    [
      'proxy inline bad scheme',
      '[[route]]\n[route.action]\ntype = "proxy"\nupstream = "ftp://h:1"\n',
      [
        'g.toml:4: route[0].action.upstream: "ftp://h:1": unknown scheme ftp:// (use http://, https://, grpc://, grpcs://, h2://, h2s:// or h3://)',
      ],
    ],
  ])('%s', (_name, text, expected) => {
    expect(problems(text)).toEqual(expected);
  });
});

describe('parseGatewayConfig: header values are byte strings', () => {
  it('percent-encodes a redirect location beyond ASCII as UTF-8', () => {
    const { config, problems: list } = parseGatewayConfig(
      '[[route]]\n[route.action]\ntype = "redirect"\nlocation = "/caf\u00e9/$path?x=\u20ac"\n',
    );
    expect(list).toEqual([]);
    expect(config?.routes[0]?.action).toMatchObject({
      type: 'redirect',
      location: '/caf%C3%A9/$path?x=%E2%82%AC',
    });
  });
});
