import { McpError } from './errors.js';

/** One SSE event of a session's stream, as an event store keeps it. */
export interface StoredEvent {
  /** The stream it went out on (a POST's answer stream or the GET stream). */
  readonly streamId: string;
  /** Its position on that stream, from 1; the SSE id is `<streamId>_<seq>`. */
  readonly seq: number;
  /** The JSON-RPC message. */
  readonly message: unknown;
}

/**
 * Where the events of session streams are kept so that a client reconnecting with
 * `Last-Event-ID` gets what it missed (Streamable HTTP "Resumability and Redelivery").
 * Implement it over Redis or a database to keep events outside the process; the methods may
 * be synchronous or return promises. A failed `append` only loses that event's redelivery.
 */
export interface McpEventStore {
  /** Remembers an event; called in the order the events are sent. */
  append(sessionId: string, event: StoredEvent): void | Promise<void>;
  /** The events of `streamId` after `afterSeq`, oldest first (what was evicted is skipped). */
  replay(
    sessionId: string,
    streamId: string,
    afterSeq: number,
  ): readonly StoredEvent[] | Promise<readonly StoredEvent[]>;
  /** The session ended: its events can go. */
  endSession(sessionId: string): void | Promise<void>;
}

/** Options of `createMemoryEventStore`. */
export interface MemoryEventStoreOptions {
  /** Events kept per session (the oldest go first). Default 1000. */
  maxEventsPerSession?: number;
}

/**
 * The default event store: the last `maxEventsPerSession` events of each session, in this
 * process's memory (so memory stays bounded by sessions × that number).
 */
export function createMemoryEventStore(options: MemoryEventStoreOptions = {}): McpEventStore {
  const max = options.maxEventsPerSession ?? 1000;
  if (!Number.isSafeInteger(max) || max <= 0) {
    throw new McpError(
      'RWS_MCP_INVALID_OPTIONS',
      `maxEventsPerSession must be a positive integer, got ${max}`,
    );
  }
  const sessions = new Map<string, StoredEvent[]>();
  return {
    append(sessionId, event) {
      let events = sessions.get(sessionId);
      if (events === undefined) {
        events = [];
        sessions.set(sessionId, events);
      }
      events.push(event);
      if (events.length > max) events.shift();
    },
    replay(sessionId, streamId, afterSeq) {
      const events = sessions.get(sessionId) ?? [];
      return events.filter((e) => e.streamId === streamId && e.seq > afterSeq);
    },
    endSession(sessionId) {
      sessions.delete(sessionId);
    },
  };
}
