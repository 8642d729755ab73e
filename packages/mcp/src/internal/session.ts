import { randomUUID } from 'node:crypto';
import type { SseEvent } from '@rws/core';
import { Channel } from '../channel.js';
import type { McpEventStore } from '../event-store.js';
import type { JsonRpcErrorObject, RequestId } from '../json-rpc.js';
import type { AuthInfo, ClientInfo, LogLevel } from '../types.js';

/** One SSE response of a session: a POST's answer stream or the GET stream. */
export interface Stream {
  readonly id: string;
  channel: Channel<SseEvent>;
  seq: number;
  live: boolean;
}

/** A server-to-client request waiting for the client's answer (a POSTed response). */
interface PendingRequest {
  resolve(result: unknown): void;
  reject(error: JsonRpcErrorObject | Error): void;
}

/** What the server keeps per `Mcp-Session-Id`. */
export interface Session {
  readonly id: string;
  readonly protocolVersion: string;
  readonly clientInfo: ClientInfo | null;
  readonly clientCapabilities: Record<string, unknown>;
  /** Who opened the session (`AuthInfo.subject`), so another principal cannot use it. */
  readonly principal: string | null;
  /** Lives for one POST only (stateless mode): nothing is stored, no resumption. */
  readonly ephemeral: boolean;
  /**
   * A 2026-07-28 request: no session at all, input through MRTR, and log messages only when
   * the request's `_meta` set a level.
   */
  readonly modern: boolean;
  initialized: boolean;
  lastSeen: number;
  logLevel: LogLevel | null;
  readonly inflight: Map<RequestId, AbortController>;
  readonly streams: Map<string, Stream>;
  standalone: Stream | null;
  nextStream: number;
  /** Resource URIs the client subscribed to (`resources/subscribe`). */
  readonly subscriptions: Set<string>;
  /** Requests this server sent to the client, by id. */
  readonly outgoing: Map<RequestId, PendingRequest>;
  nextOutgoing: number;
}

export interface NewSession {
  readonly protocolVersion: string;
  readonly clientInfo: ClientInfo | null;
  readonly clientCapabilities: Record<string, unknown>;
  readonly auth: AuthInfo | null;
  /** 2026-07-28 (see `Session.modern`); its `_meta` log level. */
  readonly modern?: { readonly logLevel: LogLevel | null };
}

/**
 * The open sessions of one server: creation, lookup, expiry and the SSE streams each owns,
 * with the event history that `Last-Event-ID` resumption replays.
 */
export class SessionStore {
  readonly #sessions = new Map<string, Session>();
  readonly #idleMs: number;
  readonly #sweeper: NodeJS.Timeout;
  /** Where events go for `Last-Event-ID` resumption; null: resumption is off. */
  readonly events: McpEventStore | null;
  /** Told the id of each session that ends (its tasks end with it). */
  onEnd: ((sessionId: string) => void) | null = null;

  constructor(idleMs: number, events: McpEventStore | null) {
    this.#idleMs = idleMs;
    this.events = events;
    this.#sweeper = setInterval(() => this.sweep(), Math.min(idleMs, 60_000));
    this.#sweeper.unref();
  }

  get size(): number {
    return this.#sessions.size;
  }

  values(): IterableIterator<Session> {
    return this.#sessions.values();
  }

  ids(): string[] {
    return [...this.#sessions.keys()];
  }

  create(init: NewSession): Session {
    const s = this.ephemeral(init, false);
    this.#sessions.set(s.id, s);
    return s;
  }

  /** A session for one request of the stateless mode: not kept, not findable, not resumable. */
  ephemeral(init: NewSession, ephemeral = true): Session {
    return {
      id: randomUUID(),
      protocolVersion: init.protocolVersion,
      clientInfo: init.clientInfo,
      clientCapabilities: init.clientCapabilities,
      principal: init.auth?.subject ?? null,
      ephemeral,
      modern: init.modern !== undefined,
      initialized: ephemeral,
      lastSeen: Date.now(),
      logLevel: init.modern?.logLevel ?? null,
      inflight: new Map(),
      streams: new Map(),
      standalone: null,
      nextStream: 1,
      subscriptions: new Set(),
      outgoing: new Map(),
      nextOutgoing: 1,
    };
  }

  /** The live session of `id`, or null (unknown, ended or expired: it is ended now). */
  get(id: string): Session | null {
    const s = this.#sessions.get(id);
    if (s === undefined) return null;
    if (this.isExpired(s, Date.now())) {
      this.end(s);
      return null;
    }
    s.lastSeen = Date.now();
    return s;
  }

  isExpired(s: Session, now: number): boolean {
    // A long tool call or an open GET stream is activity, even without new requests.
    if (s.inflight.size > 0) return false;
    if (s.standalone?.live && !s.standalone.channel.closed) return false;
    return now - s.lastSeen > this.#idleMs;
  }

  sweep(): void {
    const now = Date.now();
    for (const s of this.#sessions.values()) if (this.isExpired(s, now)) this.end(s);
  }

  end(s: Session): void {
    this.#sessions.delete(s.id);
    for (const c of s.inflight.values()) c.abort(new Error('session ended'));
    s.inflight.clear();
    for (const p of s.outgoing.values()) p.reject(new Error('session ended'));
    s.outgoing.clear();
    for (const st of s.streams.values()) {
      st.live = false;
      st.channel.close();
    }
    s.streams.clear();
    s.standalone = null;
    if (this.events !== null) ignoreFailure(() => this.events?.endSession(s.id));
    this.onEnd?.(s.id);
  }

  close(): void {
    clearInterval(this.#sweeper);
    for (const s of [...this.#sessions.values()]) this.end(s);
  }

  openStream(s: Session): Stream {
    const id = String(s.nextStream++);
    const stream: Stream = { id, channel: new Channel(), seq: 0, live: true };
    s.streams.set(id, stream);
    return stream;
  }

  /** Queues an event on a stream, numbered `<stream>_<seq>` and remembered for resumption. */
  emit(s: Session, stream: Stream, data: unknown): void {
    const seq = ++stream.seq;
    const events = this.events;
    if (events !== null && !s.ephemeral) {
      ignoreFailure(() => events.append(s.id, { streamId: stream.id, seq, message: data }));
    }
    stream.channel.push(sseEvent(stream.id, seq, data));
  }

  finishStream(s: Session, stream: Stream): void {
    stream.live = false;
    stream.channel.close();
    s.streams.delete(stream.id);
  }

  /** Where a message unrelated to an open POST stream goes: the GET stream, if open. */
  sendStandalone(s: Session, data: unknown): boolean {
    if (!s.standalone?.live) return false;
    this.emit(s, s.standalone, data);
    return true;
  }
}

/** The SSE form of a stream's event; its id is what `Last-Event-ID` names on resumption. */
export function sseEvent(streamId: string, seq: number, data: unknown): SseEvent {
  return { event: 'message', id: `${streamId}_${seq}`, data };
}

/** Runs an event-store call whose failure must not break delivery (it only costs redelivery). */
function ignoreFailure(call: () => void | Promise<void> | undefined): void {
  try {
    const r = call();
    if (r !== undefined) r.catch(() => {});
  } catch {
    // A throwing store loses this event's redelivery, nothing else.
  }
}
