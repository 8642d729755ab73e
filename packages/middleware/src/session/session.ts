import { randomBytes } from 'node:crypto';
import type { SessionData } from './session-store.js';

/** A fresh session id: 256 random bits, base64url. */
export function newSessionId(): string {
  return randomBytes(32).toString('base64url');
}

/**
 * One request's session. Reads and writes are in memory; `session()` saves the result to the
 * store once the handler has answered.
 */
export class Session {
  #id: string;
  #data: SessionData;
  readonly #isNew: boolean;
  #isChanged = false;
  #isDestroyed = false;
  #previousId: string | null = null;

  constructor(id: string, data: SessionData, isNew: boolean) {
    this.#id = id;
    this.#data = data;
    this.#isNew = isNew;
  }

  /** The current id (a new one after `regenerate()`). */
  get id(): string {
    return this.#id;
  }

  /** True when the request brought no valid session. */
  get isNew(): boolean {
    return this.#isNew;
  }

  /** True once `set`, `delete`, `clear` or `regenerate` changed something to save. */
  get isChanged(): boolean {
    return this.#isChanged;
  }

  get isDestroyed(): boolean {
    return this.#isDestroyed;
  }

  /** The id this session had before `regenerate()`, to delete from the store; else null. */
  get previousId(): string | null {
    return this.#previousId;
  }

  get<T = unknown>(key: string): T | undefined {
    return Object.hasOwn(this.#data, key) ? (this.#data[key] as T) : undefined;
  }

  has(key: string): boolean {
    return Object.hasOwn(this.#data, key);
  }

  /** Sets a JSON-serialisable value. */
  set(key: string, value: unknown): void {
    this.#data[key] = value;
    this.#isChanged = true;
  }

  delete(key: string): void {
    if (!Object.hasOwn(this.#data, key)) return;
    delete this.#data[key];
    this.#isChanged = true;
  }

  /** Removes every value but keeps the session (and its id). */
  clear(): void {
    this.#data = {};
    this.#isChanged = true;
  }

  /** A copy of the data. */
  toJSON(): SessionData {
    return { ...this.#data };
  }

  /**
   * Gives the session a new id and keeps its data; the old id is deleted from the store. Call
   * it when privileges change (login, sudo) so an id planted before login (session fixation)
   * is worthless after it.
   */
  regenerate(): void {
    if (this.#previousId === null && !this.#isNew) this.#previousId = this.#id;
    this.#id = newSessionId();
    this.#isChanged = true;
  }

  /** Ends the session (logout): the record is deleted and the cookie cleared. */
  destroy(): void {
    this.#isDestroyed = true;
    this.#data = {};
  }
}
