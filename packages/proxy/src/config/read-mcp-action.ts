/**
 * `type = "mcp"`: a proxy action to upstream MCP servers. Same keys as `proxy`; only the
 * default of `read_timeout_ms` differs, because a tool call answered with JSON sends its
 * response head when the tool is done, which may take minutes.
 */
import type { GatewayAction } from './gateway-config.js';
import type { ActionInput } from './read-action.js';
import { readProxyAction } from './read-proxy-action.js';

/** Default `read_timeout_ms` of an mcp action: 5 min. */
const MCP_READ_TIMEOUT_MS = 300_000;

export function readMcpAction(input: ActionInput): GatewayAction {
  const proxy = readProxyAction(input);
  if (proxy.type !== 'proxy') return proxy;
  const { type: _, ...settings } = proxy;
  return {
    ...settings,
    type: 'mcp',
    readTimeoutMs:
      input.merged['read_timeout_ms'] === undefined ? MCP_READ_TIMEOUT_MS : proxy.readTimeoutMs,
  };
}
