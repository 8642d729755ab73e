import { encodeFrame } from './encode-frame.js';
import { OPCODE } from './opcodes.js';
import { WebSocket, type WebSocketMessage, writeEncodedFrame } from './web-socket.js';

/**
 * A set of server-side sockets that receive the same messages (a chat room, a dashboard
 * feed). `publish` encodes the frame once and writes the same bytes to every open member;
 * sockets leave the topic when they close.
 */
export class Topic {
  readonly #members = new Set<WebSocket>();

  /** How many sockets are subscribed. */
  get size(): number {
    return this.#members.size;
  }

  /** Adds a server-side socket; it is removed again when it closes. */
  subscribe(ws: WebSocket): void {
    if (this.#members.has(ws) || ws.readyState !== WebSocket.OPEN) return;
    this.#members.add(ws);
    void ws.closed.then(() => this.#members.delete(ws));
  }

  /** Removes a socket. */
  unsubscribe(ws: WebSocket): void {
    this.#members.delete(ws);
  }

  /**
   * Sends `message` to every open member except `except`, encoding it once (uncompressed,
   * which RFC 7692 allows on a deflate connection). Resolves when every write was handed to
   * its socket; a failing member is skipped, and the count of members reached is returned.
   */
  async publish(message: WebSocketMessage, except?: WebSocket): Promise<number> {
    const isText = typeof message === 'string';
    const frame = encodeFrame(
      isText ? OPCODE.TEXT : OPCODE.BINARY,
      isText ? Buffer.from(message) : message,
    );
    const writes: Promise<void>[] = [];
    for (const ws of this.#members) {
      if (ws === except || ws.readyState !== WebSocket.OPEN) continue;
      writes.push(writeEncodedFrame(ws, frame));
    }
    const results = await Promise.allSettled(writes);
    return results.filter((r) => r.status === 'fulfilled').length;
  }
}

/** Creates an empty `Topic`. */
export function createTopic(): Topic {
  return new Topic();
}
