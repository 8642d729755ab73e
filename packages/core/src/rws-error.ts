const BRAND: unique symbol = Symbol.for('rws.error') as never;

/** Options of an `RwsError`. */
export interface RwsErrorOptions {
  /** The HTTP status this error maps to when it reaches a transport or the App. */
  status?: number | undefined;
  /** The underlying error. */
  cause?: unknown;
  /** True when the message may be shown to the client (default: status < 500). */
  expose?: boolean | undefined;
}

/**
 * The base of every error rws throws. `code` is `RWS_<PKG>_<REASON>` (see docs/errors.md).
 * Test with `isRwsError(err, code)`: the brand works across duplicated package copies.
 */
export class RwsError extends Error {
  readonly code: string;
  readonly status: number | undefined;
  readonly expose: boolean;

  constructor(code: string, message: string, options: RwsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'RwsError';
    this.code = code;
    this.status = options.status;
    this.expose = options.expose ?? (options.status !== undefined && options.status < 500);
  }

  /**
   * `instanceof RwsError` recognises errors from another copy of the package by brand;
   * subclasses keep the ordinary prototype check.
   */
  static override [Symbol.hasInstance](value: unknown): boolean {
    if (this === RwsError) return isRwsError(value);
    return Function.prototype[Symbol.hasInstance].call(this, value);
  }
}

// The brand sits on the prototype (not a computed class member, which isolatedDeclarations
// cannot emit); subclasses inherit it and copies of the package share the registered symbol.
Object.defineProperty(RwsError.prototype, BRAND, { value: true });

/** True when `err` is an rws error, optionally with the given code. */
export function isRwsError(err: unknown, code?: string): err is RwsError {
  if (typeof err !== 'object' || err === null) return false;
  if ((err as { [BRAND]?: unknown })[BRAND] !== true) return false;
  return code === undefined || (err as RwsError).code === code;
}
