import { frameOf } from './encode-frame.js';
import { OPCODE } from './opcodes.js';
import {
  joinGroup,
  leaveGroup,
  WebSocket,
  type WebSocketMessage,
  writeToMembers,
} from './web-socket.js';

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
    if (ws.readyState !== WebSocket.OPEN) return;
    // The socket takes itself out when it finishes: no promise reaction per member.
    joinGroup(ws, this.#members);
  }

  /** Removes a socket. */
  unsubscribe(ws: WebSocket): void {
    leaveGroup(ws, this.#members);
  }

  /**
   * Sends `message` to every open member except `except`, encoding it once (uncompressed,
   * which RFC 7692 allows on a deflate connection). Resolves when every write was handed to
   * its socket; a failing member is skipped, and the count of members reached is returned.
   */
  async publish(message: WebSocketMessage, except?: WebSocket): Promise<number> {
    const opcode = typeof message === 'string' ? OPCODE.TEXT : OPCODE.BINARY;
    const frame = frameOf(0x80 | opcode, message, false);
    // Only members whose socket buffer is full (or that compress a send) make a promise.
    const { written: reached, waits } = writeToMembers(this.#members, frame, except);
    if (waits === null) return reached;
    const results = await Promise.allSettled(waits);
    return reached + results.filter((r) => r.status === 'fulfilled').length;
  }
}

/** Creates an empty `Topic`. */
export function createTopic(): Topic {
  return new Topic();
}
