/**
 * The Streamable HTTP transport (MCP 2025-06-18 "Transports"): POST carries JSON-RPC messages
 * answered with JSON or SSE, GET opens the server's stream (or resumes one with
 * `Last-Event-ID`), DELETE ends the session.
 */
import {
  empty,
  type Handler,
  Headers,
  json,
  type Request,
  type Response,
  type SseEvent,
  sse,
} from '@rws/core';
import { Channel } from '../channel.js';
import { McpError } from '../errors.js';
import {
  classifyMessage,
  errorResponse,
  type IncomingMessage,
  JSON_RPC_ERRORS,
  type JsonRpcRequest,
  type JsonRpcResponse,
  resultResponse,
} from '../json-rpc.js';
import type { Registry } from '../registry.js';
import type { AuthInfo, ClientInfo } from '../types.js';
import type { ProtectedResource } from './auth.js';
import type { Dispatcher, Send } from './dispatcher.js';
import { accepts, mediaTypes, rpcError } from './http-checks.js';
import { isModernRequest } from './modern.js';
import { type Session, type SessionStore, type Stream, sseEvent } from './session.js';

/** Revisions whose JSON-RPC layer still allows batches (2025-06-18 removed them). */
const BATCH_VERSIONS = new Set(['2025-03-26', '2024-11-05']);

/** What a request without `MCP-Protocol-Version` speaks (Transports, "Protocol Version Header"). */
const DEFAULT_HEADER_VERSION = '2025-03-26';

/**
 * From 2025-11-25 an SSE stream starts with an event carrying only an id, so the client can
 * resume it even if it drops before the first message (older clients choke on empty data).
 */
const primes = (version: string): boolean => version >= '2025-11-25';

const STREAM_ID = /^(\d+)_(\d+)$/;

export interface TransportOptions {
  readonly instructions: string | undefined;
  /** The session-based revisions served, newest first. */
  readonly versions: readonly string[];
  /** Serves a POST of the stateless 2026-07-28 era (modern.ts). */
  readonly modern: (req: Request, body: unknown, auth: AuthInfo | null) => Promise<Response>;
  readonly serverInfo: Record<string, unknown>;
  readonly maxSessions: number;
  readonly maxBodyBytes: number;
  readonly mode: 'auto' | 'json' | 'sse';
  readonly registry: Registry;
  readonly store: SessionStore;
  readonly dispatcher: Dispatcher;
  readonly guard: (req: Request) => Response | null;
  readonly auth: ProtectedResource | null;
  /** False: stateless mode, no `Mcp-Session-Id`, each POST stands alone, no GET stream. */
  readonly sessions: boolean;
}

const refusal = (status: number, code: number, message: string) => ({
  refusal: rpcError(status, code, message),
});

export function createTransport(o: TransportOptions): Handler {
  const { store, dispatcher, versions } = o;
  /** The `Mcp-Session-Id` response header, absent in stateless mode. */
  const idHeader = (s: Session): Record<string, string> =>
    s.ephemeral ? {} : { 'mcp-session-id': s.id };

  function unsupportedVersion(version: string): Response {
    return rpcError(
      400,
      JSON_RPC_ERRORS.SERVER_ERROR,
      `Bad Request: unsupported MCP-Protocol-Version ${version} (supported: ${versions.join(', ')})`,
    );
  }

  /** Stateless mode: a session for this request alone, speaking what its header says. */
  function ephemeralSession(req: Request, auth: AuthInfo | null): Session | Response {
    const version = req.headers.get('mcp-protocol-version') ?? DEFAULT_HEADER_VERSION;
    if (!versions.includes(version)) return unsupportedVersion(version);
    return store.ephemeral({
      protocolVersion: version,
      clientInfo: null,
      clientCapabilities: {},
      auth,
    });
  }

  function lookupSession(req: Request, auth: AuthInfo | null): Session | Response {
    if (!o.sessions) return ephemeralSession(req, auth);
    const id = req.headers.get('mcp-session-id');
    if (id === null) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Bad Request: Mcp-Session-Id header is required',
      );
    }
    const s = store.get(id);
    // A session belongs to whoever opened it: another principal's request does not find it.
    if (s === null || (s.principal !== null && s.principal !== (auth?.subject ?? null))) {
      return rpcError(404, -32001, 'Session not found');
    }
    const version = req.headers.get('mcp-protocol-version');
    // Another revision we speak is served under the negotiated one (as the official SDK
    // server does, and the conformance suite expects); only an unknown one is refused.
    if (version !== null && !versions.includes(version)) return unsupportedVersion(version);
    return s;
  }

  function initialize(msg: JsonRpcRequest, auth: AuthInfo | null): Response {
    const p = msg.params ?? {};
    const requested = p['protocolVersion'];
    const clientInfo = p['clientInfo'];
    const caps = p['capabilities'];
    if (
      typeof requested !== 'string' ||
      typeof clientInfo !== 'object' ||
      clientInfo === null ||
      typeof (clientInfo as ClientInfo).name !== 'string' ||
      (caps !== undefined && (typeof caps !== 'object' || caps === null))
    ) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.INVALID_PARAMS,
        'initialize needs protocolVersion (string), capabilities (object) and clientInfo.name',
        msg.id,
      );
    }
    if (o.sessions && store.size >= o.maxSessions) store.sweep();
    if (o.sessions && store.size >= o.maxSessions) {
      return rpcError(
        503,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Service Unavailable: too many open sessions',
        msg.id,
      );
    }
    // Lifecycle: answer the client's revision if we speak it, else our latest.
    const version = versions.includes(requested) ? requested : (versions[0] as string);
    const init = {
      protocolVersion: version,
      clientInfo: clientInfo as ClientInfo,
      clientCapabilities: (caps as Record<string, unknown> | undefined) ?? {},
      auth,
    };
    const s = o.sessions ? store.create(init) : store.ephemeral(init);
    const capabilities = o.registry.capabilities();
    // Tasks outlive their request, so they need a session (and 2025-11-25) to come back to.
    if (!o.sessions || version < '2025-11-25') delete capabilities['tasks'];
    const result: Record<string, unknown> = {
      protocolVersion: version,
      capabilities,
      serverInfo: o.serverInfo,
    };
    if (o.instructions !== undefined) result['instructions'] = o.instructions;
    return json(resultResponse(msg.id, result), { headers: idHeader(s) });
  }

  async function readBody(req: Request): Promise<{ value: unknown } | { refusal: Response }> {
    try {
      return { value: JSON.parse(await req.body.text({ limit: o.maxBodyBytes })) };
    } catch (err) {
      if ((err as { status?: unknown }).status === 413) {
        return refusal(
          413,
          JSON_RPC_ERRORS.INVALID_REQUEST,
          `Payload Too Large: the body exceeds ${o.maxBodyBytes} bytes`,
        );
      }
      if (err instanceof SyntaxError) {
        return refusal(400, JSON_RPC_ERRORS.PARSE_ERROR, `Parse error: ${err.message}`);
      }
      return refusal(400, JSON_RPC_ERRORS.PARSE_ERROR, 'Parse error: the body could not be read');
    }
  }

  /** A new SSE stream of the session, primed from 2025-11-25. */
  function openStream(s: Session): Stream {
    const stream = store.openStream(s);
    if (primes(s.protocolVersion)) stream.channel.push({ id: `${stream.id}_0`, data: '' });
    return stream;
  }

  const resumable = (s: Session): boolean =>
    primes(s.protocolVersion) && !s.ephemeral && store.events !== null;

  /**
   * Ends a POST's SSE response early (SEP-1699 polling), telling the client when to come
   * back; the stream stays live, so a GET with `Last-Event-ID` replays and continues it.
   */
  function closeStream(s: Session, stream: Stream, retryMs: number): boolean {
    if (!resumable(s) || !stream.live || stream === s.standalone) return false;
    if (!Number.isSafeInteger(retryMs) || retryMs < 0) {
      throw new McpError(
        'RWS_MCP_INVALID_OPTIONS',
        `retryMs must be an integer >= 0, got ${retryMs}`,
      );
    }
    stream.channel.push({ retry: retryMs });
    stream.channel.close();
    return true;
  }

  /** Answers requests on a new SSE stream of the session; the stream ends with the last one. */
  function answerOnStream(
    s: Session,
    stream: Stream,
    work: Promise<(JsonRpcResponse | null)[]>,
    early: readonly JsonRpcResponse[],
  ): Response {
    for (const r of early) store.emit(s, stream, r);
    void work
      .then((results) => {
        for (const r of results) if (r !== null) store.emit(s, stream, r);
      })
      .finally(() => store.finishStream(s, stream));
    return sse(stream.channel, { headers: idHeader(s) });
  }

  async function post(req: Request, auth: AuthInfo | null): Promise<Response> {
    const accept = req.headers.get('accept');
    if (!accepts(accept, 'application/json') || !accepts(accept, 'text/event-stream')) {
      return rpcError(
        406,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Not Acceptable: the client must accept both application/json and text/event-stream',
      );
    }
    if (mediaTypes(req.headers.get('content-type'))[0] !== 'application/json') {
      return rpcError(
        415,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Unsupported Media Type: Content-Type must be application/json',
      );
    }
    const read = await readBody(req);
    if ('refusal' in read) return read.refusal;
    const body = read.value;
    if (isModernRequest(body, req.headers.get('mcp-protocol-version'))) {
      return o.modern(req, body, auth);
    }
    const batch = Array.isArray(body);
    const items = batch ? (body as unknown[]) : [body];
    if (items.length === 0) {
      return rpcError(400, JSON_RPC_ERRORS.INVALID_REQUEST, 'Invalid Request: empty batch');
    }
    const messages: IncomingMessage[] = items.map(classifyMessage);
    const init = messages.find((m) => m.kind === 'request' && m.message.method === 'initialize');
    if (init && init.kind === 'request') {
      if (batch || (o.sessions && req.headers.get('mcp-session-id') !== null)) {
        return rpcError(
          400,
          JSON_RPC_ERRORS.INVALID_REQUEST,
          batch
            ? 'Invalid Request: initialize must not be batched'
            : 'Invalid Request: initialize must not carry Mcp-Session-Id',
          init.message.id,
        );
      }
      return initialize(init.message, auth);
    }
    if (!batch && messages[0]?.kind === 'invalid') {
      const bad = messages[0];
      return json(errorResponse(bad.id, bad.error.code, bad.error.message), { status: 400 });
    }
    const found = lookupSession(req, auth);
    if (!('inflight' in found)) return found;
    const s = found;
    if (batch && !BATCH_VERSIONS.has(s.protocolVersion)) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.INVALID_REQUEST,
        `Invalid Request: protocol revision ${s.protocolVersion} does not allow JSON-RPC batches`,
      );
    }
    const invalid: JsonRpcResponse[] = [];
    const requests: JsonRpcRequest[] = [];
    for (const m of messages) {
      if (m.kind === 'invalid') invalid.push(errorResponse(m.id, m.error.code, m.error.message));
      else if (m.kind === 'notification')
        dispatcher.onNotification(s, m.message.method, m.message.params ?? {});
      else if (m.kind === 'response') dispatcher.onResponse(s, m.message);
      else requests.push(m.message);
    }
    if (requests.length === 0) {
      return invalid.length === 0 ? empty(202) : json(invalid, { status: 200 });
    }
    const wantsProgress = requests.some((r) => {
      const meta = r.params?.['_meta'];
      return typeof meta === 'object' && meta !== null && 'progressToken' in meta;
    });
    if (o.mode === 'sse' || (o.mode === 'auto' && wantsProgress)) {
      const stream = openStream(s);
      const send: Send = (data) => {
        store.emit(s, stream, data);
        return true;
      };
      send.closeStream = (retryMs) => closeStream(s, stream, retryMs);
      const work = Promise.all(requests.map((r) => dispatcher.dispatch(s, r, req, auth, send)));
      return answerOnStream(s, stream, work, invalid);
    }
    // JSON, unless a handler sends the client a request (elicitation, sampling): that must go
    // on this request's stream, so the answer turns into SSE at that moment.
    let stream: Stream | null = null;
    let upgrade!: () => void;
    const upgraded = new Promise<null>((resolve) => {
      upgrade = () => resolve(null);
    });
    const toSse = (): Stream => {
      if (stream === null) {
        stream = openStream(s);
        upgrade();
      }
      return stream;
    };
    const send: Send = (data, isRequest) => {
      if (stream === null && isRequest === true && o.mode === 'auto') toSse();
      if (stream === null) return store.sendStandalone(s, data);
      store.emit(s, stream, data);
      return true;
    };
    send.closeStream = (retryMs) =>
      o.mode === 'auto' && resumable(s) && closeStream(s, toSse(), retryMs);
    const work = Promise.all(requests.map((r) => dispatcher.dispatch(s, r, req, auth, send)));
    const results = await Promise.race([work, upgraded]);
    if (results === null && stream !== null) return answerOnStream(s, stream, work, invalid);
    const out = [...invalid, ...(results ?? []).filter((r): r is JsonRpcResponse => r !== null)];
    // Every request was cancelled: no response may be sent (Cancellation), so nothing to say.
    if (out.length === 0) return empty(202);
    return json(batch ? out : out[0], { headers: idHeader(s) });
  }

  async function get(req: Request, auth: AuthInfo | null): Promise<Response> {
    if (!accepts(req.headers.get('accept'), 'text/event-stream')) {
      return rpcError(
        406,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Not Acceptable: the client must accept text/event-stream',
      );
    }
    const found = lookupSession(req, auth);
    if (!('inflight' in found)) return found;
    const s = found;
    const lastEventId = req.headers.get('last-event-id');
    if (lastEventId !== null) return resume(s, lastEventId, req);
    if (s.standalone?.live && !s.standalone.channel.closed) {
      return rpcError(
        409,
        JSON_RPC_ERRORS.SERVER_ERROR,
        'Conflict: this session already has a GET stream',
      );
    }
    // The previous GET stream's client went away: its events stay in the history for
    // Last-Event-ID, but it is no longer the place for new ones.
    if (s.standalone) store.finishStream(s, s.standalone);
    const stream = openStream(s);
    s.standalone = stream;
    req.drain.addEventListener('abort', () => store.finishStream(s, stream), { once: true });
    return sse(stream.channel, { headers: idHeader(s) });
  }

  /**
   * Replays what a stream sent after `lastEventId` (from the event store) and, if the stream
   * is still live, goes on with it: new events go to this response from now on.
   */
  async function resume(s: Session, lastEventId: string, req: Request): Promise<Response> {
    const m = STREAM_ID.exec(lastEventId);
    const streamId = m?.[1];
    if (!m || streamId === undefined || Number(streamId) >= s.nextStream) {
      return rpcError(
        400,
        JSON_RPC_ERRORS.SERVER_ERROR,
        `Bad Request: unknown Last-Event-ID ${lastEventId}`,
      );
    }
    const after = Number(m[2]);
    // Switch the live stream over first, so nothing sent while the store answers is lost.
    const stream = s.streams.get(streamId);
    let live: Channel<SseEvent> | null = null;
    if (stream?.live) {
      live = new Channel<SseEvent>();
      stream.channel.close();
      stream.channel = live;
      if (s.standalone === stream) {
        req.drain.addEventListener('abort', () => store.finishStream(s, stream), { once: true });
      }
    }
    let missed: readonly { seq: number; message: unknown }[] = [];
    try {
      if (store.events !== null) missed = await store.events.replay(s.id, streamId, after);
    } catch (err) {
      live?.close();
      return rpcError(
        500,
        JSON_RPC_ERRORS.INTERNAL_ERROR,
        `Internal error: the event store failed to replay: ${(err as Error).message}`,
      );
    }
    return sse(resumed(streamId, missed, live, after), { headers: idHeader(s) });
  }

  return async (req) => {
    const refused = o.guard(req);
    if (refused) return refused;
    let auth: AuthInfo | null = null;
    if (o.auth !== null) {
      const checked = await o.auth.authenticate(req);
      if ('refusal' in checked) return checked.refusal;
      auth = checked.info;
    }
    switch (req.method) {
      case 'POST':
        return post(req, auth);
      case 'GET':
        if (!o.sessions) return notAllowed(req.method, 'POST');
        return get(req, auth);
      case 'DELETE': {
        if (!o.sessions) return notAllowed(req.method, 'POST');
        const found = lookupSession(req, auth);
        if (!('inflight' in found)) return found;
        store.end(found);
        return empty(204);
      }
      default:
        return notAllowed(req.method, o.sessions ? 'GET, POST, DELETE' : 'POST');
    }
  };
}

function notAllowed(method: string, allow: string): Response {
  return {
    status: 405,
    headers: new Headers({ allow, 'content-type': 'application/json' }),
    body: JSON.stringify(
      errorResponse(null, JSON_RPC_ERRORS.SERVER_ERROR, `Method Not Allowed: ${method}`),
    ),
  };
}

/** The replayed events, then the live ones the replay did not already cover. */
async function* resumed(
  streamId: string,
  missed: readonly { seq: number; message: unknown }[],
  live: Channel<SseEvent> | null,
  after: number,
): AsyncGenerator<SseEvent> {
  let last = after;
  for (const e of missed) {
    yield sseEvent(streamId, e.seq, e.message);
    last = Math.max(last, e.seq);
  }
  if (live === null) return;
  for await (const event of live) {
    const seq = Number(STREAM_ID.exec(event.id ?? '')?.[2] ?? Number.POSITIVE_INFINITY);
    if (seq > last) yield event;
  }
}
