import { describe, expect, it } from 'vitest';
import { DISCOVERY_KEYS } from '../src/config/read-discovery.js';
import { createGatewayJsonSchema, GATEWAY_SECTIONS, parseGatewayConfig } from '../src/index.js';

type Json = Record<string, unknown>;

/** Every key path the schema allows, e.g. `route.match.path`. */
function schemaKeys(schema: Json, prefix: string, out: Set<string>): void {
  const props = (schema['properties'] ?? (schema['items'] as Json | undefined)?.['properties']) as
    | Json
    | undefined;
  if (props === undefined) return;
  for (const [k, v] of Object.entries(props)) {
    const path = prefix === '' ? k : `${prefix}.${k}`;
    out.add(path);
    schemaKeys(v as Json, path, out);
  }
}

describe('createGatewayJsonSchema', () => {
  const keys = new Set<string>();
  schemaKeys({ properties: createGatewayJsonSchema() }, '', keys);

  it('has every gateway section', () => {
    expect(Object.keys(createGatewayJsonSchema()).sort()).toEqual([...GATEWAY_SECTIONS].sort());
  });

  it('knows every key the parser accepts (a config using each one parses without unknown keys)', () => {
    const used = [
      'upstream.name',
      'upstream.hash_key',
      'upstream.tls.ca_file',
      'upstream.tls.verify',
      'upstream.backends',
      'upstream.strategy',
      'upstream.health_check.path',
      'upstream.health_check.interval_secs',
      'upstream.health_check.timeout_ms',
      'upstream.health_check.healthy_threshold',
      'upstream.health_check.unhealthy_threshold',
      'route.name',
      'route.match.host',
      'route.match.path',
      'route.match.method',
      'route.match.content_type',
      'route.match.headers',
      'route.action.type',
      'route.action.upstream',
      'route.action.connect_timeout_ms',
      'route.action.read_timeout_ms',
      'route.action.strip_path_prefix',
      'route.action.add_path_prefix',
      'route.action.preserve_host',
      'route.action.root',
      'route.action.index',
      'route.action.directory_listing',
      'route.action.location',
      'route.action.status',
      'route.action.body',
      'route.action.content_type',
      'route.action.proxy.upstream',
      'route.middleware.rate_limit.max_requests',
      'route.middleware.rate_limit.window_secs',
      'route.middleware.rate_limit.algorithm',
      'route.middleware.rate_limit.key',
      'route.middleware.rate_limit.trusted_proxies',
      'route.middleware.auth.type',
      'route.middleware.auth.token_env',
      'route.middleware.auth.secret_env',
      'route.middleware.auth.public_key_file',
      'route.middleware.auth.jwks_url',
      'route.middleware.auth.algorithms',
      'route.middleware.auth.issuer',
      'route.middleware.auth.audience',
      'route.middleware.auth.clock_tolerance_secs',
      'route.middleware.auth.htpasswd_file',
      'route.middleware.auth.users_file',
      'route.middleware.auth.realm',
      'route.middleware.cache.ttl_secs',
      'route.middleware.cache.vary_by',
      'route.middleware.cache.max_bytes',
      'route.middleware.cache.max_entry_bytes',
      'route.middleware.ip_filter.allow',
      'route.middleware.ip_filter.deny',
      'route.middleware.ip_filter.trusted_proxies',
      'route.middleware.rewrite.request.type',
      'route.middleware.rewrite.request.pattern',
      'route.middleware.rewrite.request.replacement',
      'route.middleware.rewrite.request.redirect',
      'route.middleware.rewrite.response.code',
      'route.middleware.rewrite.response.from',
      'route.middleware.rewrite.response.to',
      'route.middleware.timeout_ms',
      'route.middleware.max_body_size',
      'middleware.rate_limit.max_requests',
      'admin.reload',
      'admin.token_env',
      'tcp_proxy.listen',
      'tcp_proxy.connect_timeout_ms',
      'udp_proxy.reply_timeout_ms',
      'udp_proxy.buffer_size',
      'ws_proxy.read_timeout_ms',
      'ws_proxy.health_check.path',
    ];
    for (const keysOfType of Object.values(DISCOVERY_KEYS)) {
      for (const k of keysOfType) used.push(`upstream.discovery.${k}`);
    }
    used.push('upstream.discovery.type', 'upstream.discovery.refresh_secs');
    used.push('kubernetes_ingress.ingress_class', 'kubernetes_ingress.namespace');
    used.push('kubernetes_ingress.api_server', 'kubernetes_ingress.token_file');
    used.push('kubernetes_ingress.ca_file', 'kubernetes_ingress.timeout_ms');
    // Issues #13, #23: sessions, OIDC login and claims forwarding.
    for (const k of [
      'secrets',
      'cookie_name',
      'ttl_secs',
      'rolling',
      'secure',
      'store',
      'redis_prefix',
    ])
      used.push(`session.${k}`);
    for (const k of [
      'issuer',
      'preset',
      'tenant',
      'domain',
      'authorization_server_id',
      'base_url',
      'realm',
      'client_id',
      'client_secret',
      'redirect_uri',
      'login_path',
      'callback_path',
      'logout_path',
      'post_logout_redirect_uri',
      'scopes',
      'fetch_userinfo',
    ])
      used.push(`oidc.${k}`);
    for (const k of [
      'header',
      'secret',
      'private_key_file',
      'algorithm',
      'key_id',
      'claims',
      'issuer',
      'audience',
      'expires_in_secs',
    ])
      used.push(`route.middleware.forward_claims.${k}`);
    for (const k of used) expect(keys.has(k), k).toBe(true);
    // A key the schema does not have is one the parser rejects.
    expect(keys.has('route.match.paht')).toBe(false);
    expect(
      parseGatewayConfig({ route: [{ match: { paht: '/' }, action: { type: 'respond' } }] })
        .problems[0]?.code,
    ).toBe('RWS_PROXY_CONFIG_UNKNOWN_KEY');
  });
});
