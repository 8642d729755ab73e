import { setTimeout as sleep } from 'node:timers/promises';
import type { AddressInput } from './address.js';
import { type DkimOptions, dkimSign } from './dkim-sign.js';
import { ERROR_CODES, MailerError } from './errors.js';
import {
  type BuiltMessage,
  buildMessage,
  type MailMessage,
  serializeHeaders,
} from './mime-message.js';
import {
  type SendResult,
  SmtpConnection,
  type SmtpConnectionOptions,
  type SmtpSecurity,
} from './smtp-connection.js';

/** Pool limits. */
export interface MailerPoolOptions {
  /** Connections open at once. Default 5. */
  maxConnections?: number | undefined;
  /** Messages per connection before it is closed and replaced. Default 100. */
  maxMessagesPerConnection?: number | undefined;
  /** An idle connection is closed (QUIT) after this long. Default 10 000 ms. */
  idleTimeoutMs?: number | undefined;
}

/** Options of `createMailer`. */
export interface MailerOptions extends SmtpConnectionOptions {
  /** Keep connections open and reuse them (RSET between messages). Default off: one per message. */
  pool?: boolean | MailerPoolOptions | undefined;
  /**
   * Send attachments unencoded (`Content-Transfer-Encoding: binary`, `BODY=BINARYMIME`, a third
   * fewer bytes than base64) when the server offers CHUNKING and BINARYMIME; base64 otherwise.
   * Default false: a relay without BINARYMIME further on must convert or bounce such a message.
   * Not used with `dkim` (a signature over binary content does not survive conversion).
   */
  binaryMime?: boolean | undefined;
  /** Signs every message (the body is then held in memory to hash it). */
  dkim?: DkimOptions | undefined;
  /** The default `from` of messages that have none. */
  from?: AddressInput | undefined;
  /**
   * Retries after a 4xx reply, a dropped connection or a timeout. Default 2. Messages with
   * stream attachments are not retried (a stream can be read only once).
   */
  retries?: number | undefined;
  /** Delay before retry n is n times this. Default 1000 ms. */
  retryDelayMs?: number | undefined;
  /** At most `maxMessages` messages start in any `perMs` window (a sliding window); the rest wait. */
  rateLimit?: { maxMessages: number; perMs: number } | undefined;
}

/** What `send` resolves with. */
export interface SendInfo extends SendResult {
  readonly messageId: string;
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
}

/** Anything that sends messages: a `Mailer`, or the recording `TestMailer`. */
export interface MailSender {
  send(message: MailMessage, options?: { signal?: AbortSignal }): Promise<SendInfo>;
  close(): Promise<void>;
}

interface Pooled {
  readonly conn: SmtpConnection;
  sent: number;
  idleTimer: NodeJS.Timeout | undefined;
  /** When the connection last went idle (`performance.now()`). */
  idleSince: number;
}

/**
 * A connection idle for longer is checked with RSET before reuse (servers drop idle clients);
 * one that just finished a transaction is reused at once: a completed DATA or BDAT LAST ends the
 * transaction, and a close by the server is already seen as `isClosed`.
 */
const PROBE_AFTER_IDLE_MS = 1000;

function positive(name: string, v: number | undefined, def: number): number {
  if (v === undefined) return def;
  if (!(Number.isInteger(v) && v > 0) && v !== Number.POSITIVE_INFINITY)
    throw new MailerError(
      ERROR_CODES.INVALID_CONFIG,
      `${name} must be a positive integer, got ${String(v)}`,
    );
  return v;
}

function isReplayable(message: MailMessage): boolean {
  return (message.attachments ?? []).every(
    (a) => a.path !== undefined || typeof a.content === 'string' || a.content instanceof Uint8Array,
  );
}

/**
 * Sends mail over SMTP, with an optional connection pool, retries of transient failures and
 * DKIM signing. Create it with `createMailer(options)` or `Mailer.fromEnv(process.env)`.
 *
 * @example
 * ```ts
 * const mailer = createMailer({ host: 'smtp.example.com', port: 587, auth: { user: 'u', pass: 'p' } });
 * await mailer.send({ from: 'me@example.com', to: 'you@example.com', subject: 'Hi', text: 'Hello' });
 * await mailer.close();
 * ```
 */
export class Mailer implements MailSender {
  readonly #options: MailerOptions;
  readonly #maxConnections: number;
  readonly #maxMessages: number;
  readonly #idleTimeoutMs: number;
  readonly #retries: number;
  readonly #retryDelayMs: number;
  readonly #idle: Pooled[] = [];
  readonly #waiters: Array<() => void> = [];
  #open = 0;
  #isClosed = false;
  /** Start times of the messages inside the current rate window, oldest first. */
  readonly #starts: number[] = [];
  #rateQueue: Promise<void> = Promise.resolve();

  constructor(options: MailerOptions) {
    if (typeof options.host !== 'string' || options.host === '')
      throw new MailerError(ERROR_CODES.INVALID_CONFIG, 'host is required');
    if (!Number.isInteger(options.port) || options.port < 1 || options.port > 65_535)
      throw new MailerError(
        ERROR_CODES.INVALID_CONFIG,
        `port must be 1-65535, got ${String(options.port)}`,
      );
    if (options.secure !== undefined && !['starttls', 'smtps', 'none'].includes(options.secure))
      throw new MailerError(
        ERROR_CODES.INVALID_CONFIG,
        `secure must be starttls, smtps or none, got ${String(options.secure)}`,
      );
    this.#options = options;
    const pool = options.pool === true ? {} : options.pool || undefined;
    this.#maxConnections = pool
      ? positive('pool.maxConnections', pool.maxConnections, 5)
      : Number.POSITIVE_INFINITY;
    this.#maxMessages = pool
      ? positive('pool.maxMessagesPerConnection', pool.maxMessagesPerConnection, 100)
      : 1;
    this.#idleTimeoutMs = pool ? positive('pool.idleTimeoutMs', pool.idleTimeoutMs, 10_000) : 1;
    this.#retries = options.retries ?? 2;
    this.#retryDelayMs = options.retryDelayMs ?? 1000;
    if (options.rateLimit) {
      positive('rateLimit.maxMessages', options.rateLimit.maxMessages, 1);
      positive('rateLimit.perMs', options.rateLimit.perMs, 1);
    }
    if (!(Number.isInteger(this.#retries) && this.#retries >= 0))
      throw new MailerError(ERROR_CODES.INVALID_CONFIG, `retries must be a non-negative integer`);
  }

  /**
   * A mailer from `RWS_SMTP_HOST`, `RWS_SMTP_PORT`, `RWS_SMTP_USER`, `RWS_SMTP_PASSWORD`,
   * `RWS_SMTP_FROM`, `RWS_SMTP_TLS` (`starttls` | `smtps` | `none`) and `RWS_SMTP_TIMEOUT_MS`;
   * `overrides` win over the environment. The caller passes the environment (`process.env`):
   * the library never reads it by itself.
   */
  static fromEnv(env: NodeJS.ProcessEnv, overrides: Partial<MailerOptions> = {}): Mailer {
    return new Mailer({ ...mailerOptionsFromEnv(env), ...overrides });
  }

  /** Open connections (busy and idle). */
  get openConnections(): number {
    return this.#open;
  }

  /** Opens a connection, greets, upgrades and authenticates, then quits: checks the settings. */
  async verify(): Promise<void> {
    const conn = new SmtpConnection(this.#options);
    try {
      await conn.open();
    } finally {
      await conn.quit();
    }
  }

  /**
   * Builds, signs (with `dkim`) and sends one message. Rejects with a `MailerError`: 5xx replies
   * as `RWS_MAILER_REJECTED`, 4xx after the retries as `RWS_MAILER_TEMPORARY_FAILURE`.
   */
  async send(message: MailMessage, options: { signal?: AbortSignal } = {}): Promise<SendInfo> {
    const from = message.from ?? this.#options.from;
    const date = message.date ?? new Date();
    const built = buildMessage({ ...message, from, date });
    // Fixed here so that a binary rebuild on the connection (binaryMime) says the same.
    const resolved: MailMessage = { ...message, from, date, messageId: built.messageId };
    const retries = isReplayable(message) ? this.#retries : 0;
    let body: Buffer | undefined;
    let headers = built.headers;
    if (this.#options.dkim) {
      body = Buffer.concat(await collect(built.body()));
      headers = [dkimSign(built.headers, body, this.#options.dkim), ...built.headers];
    }
    for (let attempt = 0; ; attempt++) {
      options.signal?.throwIfAborted();
      await this.#rateSlot(options.signal);
      try {
        const result = await this.#sendOnce(resolved, built, headers, body);
        return { ...result, messageId: built.messageId, envelope: built.envelope };
      } catch (err) {
        const transient = err instanceof MailerError && err.isTransient;
        if (!transient || attempt >= retries || this.#isClosed) throw err;
        await sleep(this.#retryDelayMs * (attempt + 1), undefined, { signal: options.signal });
      }
    }
  }

  /** Waits for a slot in the rate window; callers queue in order so none starves. */
  #rateSlot(signal: AbortSignal | undefined): Promise<void> {
    const limit = this.#options.rateLimit;
    if (!limit) return Promise.resolve();
    const slot = this.#rateQueue.then(async () => {
      for (;;) {
        const now = Date.now();
        while (this.#starts.length > 0 && (this.#starts[0] as number) <= now - limit.perMs)
          this.#starts.shift();
        if (this.#starts.length < limit.maxMessages) {
          this.#starts.push(now);
          return;
        }
        await sleep((this.#starts[0] as number) + limit.perMs - now, undefined, { signal });
      }
    });
    this.#rateQueue = slot.catch(() => undefined);
    return slot;
  }

  async #sendOnce(
    message: MailMessage,
    built: BuiltMessage,
    headers: ReadonlyArray<readonly [string, string]>,
    body: Buffer | undefined,
  ): Promise<SendResult> {
    const pooled = await this.#acquire();
    let isReusable = false;
    try {
      const binary =
        body === undefined &&
        (message.attachments?.length ?? 0) > 0 &&
        this.#offersBinaryMime(pooled.conn);
      if (binary) {
        built = buildMessage(message, { binaryAttachments: true });
        headers = built.headers;
      }
      const head = `${serializeHeaders(headers)}\r\n`;
      // A message held in memory (signed, or without attachments) goes out as one buffer: one
      // socket write after the 354, and its exact size for SIZE=.
      const whole =
        body !== undefined
          ? Buffer.concat([Buffer.from(head), body])
          : built.bodyText !== undefined
            ? Buffer.from(head + built.bodyText)
            : undefined;
      const streamed = built;
      async function* content(): AsyncIterable<Uint8Array> {
        if (whole !== undefined) {
          yield whole;
          return;
        }
        yield Buffer.from(head);
        yield* streamed.body();
      }
      const result = await pooled.conn.send(built.envelope, content(), {
        smtpUtf8: built.needsSmtpUtf8,
        dsn: built.dsn,
        binaryMime: binary,
        ...(whole !== undefined ? { size: whole.length } : {}),
      });
      isReusable = true;
      return result;
    } catch (err) {
      // A refusal leaves no transaction open (the transaction resets or closes the
      // connection before it throws), so a connection still open can carry the next message:
      // one bad recipient in a batch of sends costs no reconnection.
      isReusable = err instanceof MailerError && !pooled.conn.isClosed;
      throw err;
    } finally {
      this.#release(pooled, isReusable);
    }
  }

  /** BINARYMIME needs BDAT: CHUNKING offered and not turned off, and the option on. */
  #offersBinaryMime(conn: SmtpConnection): boolean {
    const o = this.#options;
    return (
      o.binaryMime === true &&
      o.chunking !== false &&
      conn.extensions.has('CHUNKING') &&
      conn.extensions.has('BINARYMIME')
    );
  }

  async #acquire(): Promise<Pooled> {
    for (;;) {
      if (this.#isClosed) throw new MailerError(ERROR_CODES.CLOSED, 'the mailer is closed');
      const idle = this.#idle.pop();
      if (idle) {
        clearTimeout(idle.idleTimer);
        if (idle.conn.isClosed) {
          this.#drop(idle);
          continue;
        }
        if (performance.now() - idle.idleSince < PROBE_AFTER_IDLE_MS) return idle;
        try {
          await idle.conn.reset();
          return idle;
        } catch {
          // The server dropped the idle connection; open a fresh one.
          this.#drop(idle);
          continue;
        }
      }
      if (this.#open < this.#maxConnections) {
        this.#open++;
        const conn = new SmtpConnection(this.#options);
        try {
          await conn.open();
        } catch (err) {
          this.#open--;
          conn.destroy();
          this.#wake();
          throw err;
        }
        return { conn, sent: 0, idleTimer: undefined, idleSince: 0 };
      }
      await new Promise<void>((resolve) => this.#waiters.push(resolve));
    }
  }

  #release(pooled: Pooled, isReusable: boolean): void {
    pooled.sent++;
    if (!isReusable || pooled.conn.isClosed || pooled.sent >= this.#maxMessages || this.#isClosed) {
      if (isReusable && !pooled.conn.isClosed) {
        this.#open--;
        void pooled.conn.quit();
      } else this.#drop(pooled);
    } else {
      pooled.idleTimer = setTimeout(() => {
        const i = this.#idle.indexOf(pooled);
        if (i !== -1) this.#idle.splice(i, 1);
        this.#open--;
        void pooled.conn.quit();
      }, this.#idleTimeoutMs);
      pooled.idleTimer.unref();
      pooled.idleSince = performance.now();
      this.#idle.push(pooled);
    }
    this.#wake();
  }

  #drop(pooled: Pooled): void {
    this.#open--;
    pooled.conn.destroy();
  }

  #wake(): void {
    this.#waiters.shift()?.();
  }

  /** Quits every idle connection and refuses further sends. */
  async close(): Promise<void> {
    this.#isClosed = true;
    const idle = this.#idle.splice(0);
    for (const w of this.#waiters.splice(0)) w();
    await Promise.all(
      idle.map((p) => {
        clearTimeout(p.idleTimer);
        this.#open--;
        return p.conn.quit();
      }),
    );
  }

  /** Same as `close()`. */
  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}

async function collect(source: AsyncIterable<Buffer>): Promise<Buffer[]> {
  const out: Buffer[] = [];
  for await (const c of source) out.push(c);
  return out;
}

/** Creates a `Mailer`. See `MailerOptions`. */
export function createMailer(options: MailerOptions): Mailer {
  return new Mailer(options);
}

const DEFAULT_PORTS: Record<SmtpSecurity, number> = { starttls: 587, smtps: 465, none: 25 };

/** Reads `RWS_SMTP_*` into `MailerOptions`; throws `RWS_MAILER_INVALID_CONFIG` naming the variable. */
export function mailerOptionsFromEnv(env: NodeJS.ProcessEnv): MailerOptions {
  const host = env['RWS_SMTP_HOST'];
  if (host === undefined || host === '')
    throw new MailerError(ERROR_CODES.INVALID_CONFIG, 'RWS_SMTP_HOST is not set');
  const tls = (env['RWS_SMTP_TLS'] ?? 'starttls') as SmtpSecurity;
  if (!(tls in DEFAULT_PORTS))
    throw new MailerError(
      ERROR_CODES.INVALID_CONFIG,
      `RWS_SMTP_TLS must be starttls, smtps or none, got ${JSON.stringify(tls)}`,
    );
  const num = (name: string, def: number): number => {
    const raw = env[name];
    if (raw === undefined || raw === '') return def;
    if (!/^[0-9]+$/.test(raw))
      throw new MailerError(
        ERROR_CODES.INVALID_CONFIG,
        `${name} must be a number, got ${JSON.stringify(raw)}`,
      );
    return Number(raw);
  };
  const options: MailerOptions = {
    host,
    port: num('RWS_SMTP_PORT', DEFAULT_PORTS[tls]),
    secure: tls,
  };
  const timeout = env['RWS_SMTP_TIMEOUT_MS'];
  if (timeout !== undefined && timeout !== '') {
    const ms = num('RWS_SMTP_TIMEOUT_MS', 0);
    options.connectTimeoutMs = ms;
    options.greetingTimeoutMs = ms;
    options.commandTimeoutMs = ms;
  }
  const user = env['RWS_SMTP_USER'];
  if (user !== undefined && user !== '') {
    const pass = env['RWS_SMTP_PASSWORD'];
    if (pass === undefined)
      throw new MailerError(
        ERROR_CODES.INVALID_CONFIG,
        'RWS_SMTP_USER is set without RWS_SMTP_PASSWORD',
      );
    options.auth = { user, pass };
  }
  const from = env['RWS_SMTP_FROM'];
  if (from !== undefined && from !== '') options.from = from;
  return options;
}
