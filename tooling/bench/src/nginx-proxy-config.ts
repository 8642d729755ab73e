/**
 * nginx as a reverse proxy, as the `proxy` suite runs it and `bench:profile nginx-proxy`
 * measures it: HTTP/1.1 to the upstream over a pool keeping 64 idle connections
 * (`Connection: ""` so nginx does not send `close`); everything else at nginx's defaults
 * (proxy buffering on, as deployed).
 */

/** The `server {}` block's body. */
export const NGINX_PROXY_LOCATION = `    location / {
      proxy_pass http://backend;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
    }`;

/** The `http {}` block's addition: the upstream at `address` (`host:port`). */
export function nginxProxyUpstream(address: string): string {
  return `  upstream backend {
    server ${address};
    keepalive 64;
    keepalive_requests 10000000;
  }`;
}
