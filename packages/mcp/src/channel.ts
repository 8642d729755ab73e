/**
 * An unbounded async queue feeding one SSE response: producers `push()`, the response body
 * pulls. `close()` ends the stream once what is queued has been read; `onDetach` runs when the
 * consumer stops (the client went away), so the owner can forget the stream.
 */
export class Channel<T> implements AsyncIterable<T> {
  #queue: T[] = [];
  #waiter: ((r: IteratorResult<T>) => void) | null = null;
  #closed = false;
  #detached = false;
  onDetach: (() => void) | null = null;

  get closed(): boolean {
    return this.#closed || this.#detached;
  }

  push(value: T): boolean {
    if (this.closed) return false;
    if (this.#waiter) {
      const w = this.#waiter;
      this.#waiter = null;
      w({ done: false, value });
    } else this.#queue.push(value);
    return true;
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    if (this.#waiter && this.#queue.length === 0) {
      const w = this.#waiter;
      this.#waiter = null;
      w({ done: true, value: undefined });
    }
  }

  #detach(): void {
    if (this.#detached) return;
    this.#detached = true;
    this.#queue.length = 0;
    const w = this.#waiter;
    this.#waiter = null;
    w?.({ done: true, value: undefined });
    this.onDetach?.();
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return {
      next: () => {
        if (this.#queue.length > 0) {
          return Promise.resolve({ done: false, value: this.#queue.shift() as T });
        }
        if (this.closed) {
          if (!this.#detached) this.#detach();
          return Promise.resolve({ done: true, value: undefined });
        }
        return new Promise((resolve) => {
          this.#waiter = resolve;
        });
      },
      return: () => {
        this.#detach();
        return Promise.resolve({ done: true, value: undefined });
      },
    };
  }
}
