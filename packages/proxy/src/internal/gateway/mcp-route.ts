/**
 * The gateway's `type = "mcp"` action: a reverse proxy to MCP servers (Streamable HTTP) that
 * keeps each MCP session on the backend that created it.
 *
 * A backend mints `Mcp-Session-Id` in its `initialize` answer; the gateway hands it to the
 * client as `<tag>.<id>`, the tag naming the backend (a digest of its URL). A request carrying
 * such an id goes to that backend only, with the original id restored; no table is kept, so
 * affinity survives reloads and holds across several gateway instances. An id whose backend
 * left the upstream, or is down, is answered 404 with JSON-RPC error -32001, which tells an MCP
 * client to initialize a new session (on a healthy backend). Requests without a session id
 * (initialize, stateless servers) are balanced by the upstream's strategy.
 */
import { createHash } from 'node:crypto';
import { type Handler, Headers, type Request, type Response } from '@rws/core';
import type { GatewayMcpAction } from '../../config/gateway-config.js';
import { ERROR_CODES } from '../../errors.js';
import { getProxyInfo } from '../../proxy-info.js';
import type { Backend, BackendPicker } from '../../upstream.js';
import { createProxyRoute, type GatewayUpstreamHandle } from './proxy-binding.js';

const SESSION_HEADER = 'mcp-session-id';

/** The 404 an MCP client takes as "your session is gone, start a new one" (spec, Session Management). */
function sessionNotFound(): Response {
  return {
    status: 404,
    headers: new Headers({ 'content-type': 'application/json' }),
    body: JSON.stringify({
      jsonrpc: '2.0',
      id: null,
      error: { code: -32001, message: 'Session not found' },
    }),
  };
}

export function createMcpRoute(handle: GatewayUpstreamHandle, action: GatewayMcpAction): Handler {
  const upstream = handle.upstream;
  const tags = new Map<string, string>();
  const tagOf = (url: string): string => {
    let tag = tags.get(url);
    if (tag === undefined) {
      tag = createHash('sha256').update(url).digest('base64url').slice(0, 12);
      tags.set(url, tag);
    }
    return tag;
  };
  /** The backend (URL) a request is pinned to by its session id. */
  const pins = new WeakMap<Request, string>();
  /** Backends the upstream picked, by URL: a pinned request reuses them without a new pick. */
  const known = new Map<string, Backend>();
  const picker: BackendPicker & { readonly name: string } = {
    name: upstream.name,
    pick(req, exclude): Backend | null {
      const pinned = pins.get(req);
      if (pinned === undefined) {
        const b = upstream.pick(req, exclude);
        if (b !== null) known.set(b.url, b);
        return b;
      }
      if (exclude?.has(pinned)) return null;
      // Straight to the pinned backend while it is usable, so session traffic does not move
      // the strategy's state (a round robin would otherwise skew where new sessions land).
      const state = upstream.backends.find((b) => b.url === pinned);
      if (state === undefined) known.delete(pinned); // left the upstream: its pool closes
      const cached = known.get(pinned);
      if (cached !== undefined && state?.healthy && !state.ejected && state.circuit !== 'open') {
        return cached;
      }
      // Otherwise the upstream decides (fail-open rules included), with every other one excluded.
      const others = new Set<string>();
      for (const b of upstream.backends) if (b.url !== pinned) others.add(b.url);
      const b = upstream.pick(req, others);
      if (b !== null) known.set(b.url, b);
      return b;
    },
  };
  const proxy = createProxyRoute(handle, action, picker);
  const unused: Handler = () => ({ status: 502, headers: new Headers(), body: null });

  return async (req) => {
    const sid = req.headers.get(SESSION_HEADER);
    let isPinned = false;
    if (sid !== null) {
      const dot = sid.indexOf('.');
      const tag = sid.slice(0, Math.max(dot, 0));
      const backend = upstream.backends.find((b) => tagOf(b.url) === tag);
      // Every id this gateway hands out is tagged: anything else names no session it knows.
      if (dot <= 0 || backend === undefined) return sessionNotFound();
      req.headers.set(SESSION_HEADER, sid.slice(dot + 1));
      pins.set(req, backend.url);
      isPinned = true;
    }
    const res = await proxy.handle(req, unused);
    const info = getProxyInfo(req);
    // The pinned backend is out of the upstream's choice (down, ejected) or refuses
    // connections (its process is gone, and its in-memory sessions with it).
    if (
      isPinned &&
      (info?.error === ERROR_CODES.NO_BACKEND || info?.error === ERROR_CODES.CONNECT_FAILED)
    ) {
      return sessionNotFound();
    }
    const minted = res.headers.get(SESSION_HEADER);
    if (minted !== null && info?.backend != null) {
      res.headers.set(SESSION_HEADER, `${tagOf(info.backend)}.${minted}`);
    }
    return res;
  };
}
