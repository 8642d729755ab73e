import type { WebSocketMessage } from './web-socket-types.js';

/** Messages queued for async iteration before reading from the peer pauses. */
const QUEUE_LIMIT = 16;

/**
 * The messages of a socket read by async iteration (`for await (const m of ws)`), and the two
 * waits between the socket's reader and the consumer: the consumer waits for a message, the
 * reader waits while 16 are queued, so a slow consumer holds the sender back. Made for the
 * first iteration or queued message: a socket with `onMessage` never has one.
 */
export class MessageQueue {
  readonly #messages: WebSocketMessage[] = [];
  #wakeConsumer: (() => void) | null = null;
  #wakeReader: (() => void) | null = null;

  /** Queues a message for the consumer; true when the reader should now wait (see `room`). */
  push(message: WebSocketMessage): boolean {
    const messages = this.#messages;
    messages.push(message);
    this.wakeConsumer();
    return messages.length >= QUEUE_LIMIT;
  }

  /** The oldest message, waking a reader held back by a full queue; undefined when empty. */
  shift(): WebSocketMessage | undefined {
    const next = this.#messages.shift();
    if (next !== undefined) this.wakeReader();
    return next;
  }

  /** Resolves at the next `push` or `wakeConsumer` (a Close arrived, the socket finished). */
  nextMessage(): Promise<void> {
    return new Promise<void>((resolve) => {
      this.#wakeConsumer = resolve;
    });
  }

  /** Resolves once the queue has room again, or at once when `isOpen()` turns false. */
  async room(isOpen: () => boolean): Promise<void> {
    while (this.#messages.length >= QUEUE_LIMIT && isOpen()) {
      await new Promise<void>((resolve) => {
        this.#wakeReader = resolve;
      });
    }
  }

  wakeConsumer(): void {
    const wake = this.#wakeConsumer;
    this.#wakeConsumer = null;
    wake?.();
  }

  wakeReader(): void {
    const wake = this.#wakeReader;
    this.#wakeReader = null;
    wake?.();
  }
}
