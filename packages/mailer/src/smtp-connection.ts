import { connect as netConnect, type Socket } from 'node:net';
import { type ConnectionOptions, type TLSSocket, connect as tlsConnect } from 'node:tls';
import { ERROR_CODES, MailerError, type MailerErrorCode } from './errors.js';
import { authenticate } from './internal/smtp-auth.js';
import type { SmtpIo, SmtpReply } from './internal/smtp-io.js';
import { type SendParams, type SendResult, sendTransaction } from './internal/smtp-transaction.js';

export type { SmtpReply } from './internal/smtp-io.js';
export type { SendParams, SendResult } from './internal/smtp-transaction.js';

/** Credentials: a password (PLAIN, LOGIN, CRAM-MD5) or an OAuth 2 access token (XOAUTH2). */
export type SmtpAuth =
  | { user: string; pass: string; method?: 'PLAIN' | 'LOGIN' | 'CRAM-MD5' | undefined }
  | { user: string; accessToken: string };

/** How the connection is secured. */
export type SmtpSecurity = 'starttls' | 'smtps' | 'none';

/** Options of one SMTP connection. */
export interface SmtpConnectionOptions {
  host: string;
  port: number;
  /**
   * `starttls` (default): upgrade with STARTTLS and fail when the server does not offer it;
   * `smtps`: TLS from the first byte (port 465); `none`: plain text.
   */
  secure?: SmtpSecurity | undefined;
  auth?: SmtpAuth | undefined;
  /** Allow AUTH over a plain-text connection. Default false: credentials never cross in clear. */
  allowPlainTextAuth?: boolean | undefined;
  /** TLS options (`ca`, `servername`, `rejectUnauthorized`…) for STARTTLS and SMTPS. */
  tls?: ConnectionOptions | undefined;
  /** The name sent in EHLO/HELO. Default `localhost`. */
  clientName?: string | undefined;
  connectTimeoutMs?: number | undefined;
  greetingTimeoutMs?: number | undefined;
  /** Per command; DATA's final reply gets the same budget after the last byte. */
  commandTimeoutMs?: number | undefined;
  /**
   * Send messages with BDAT (RFC 3030) when the server offers CHUNKING. Default true; false
   * always uses DATA.
   */
  chunking?: boolean | undefined;
}

const MAX_LINE = 4096;
const MAX_REPLY_LINES = 100;

type Waiter = { resolve: (r: SmtpReply) => void; reject: (e: Error) => void };

/**
 * One SMTP client connection (RFC 5321): greeting, EHLO (HELO fallback), STARTTLS, AUTH,
 * MAIL/RCPT then DATA or BDAT (CHUNKING), with PIPELINING and DSN when offered, RSET and
 * QUIT. Not for concurrent use: the pool in `Mailer` hands a connection to one message at a
 * time.
 */
export class SmtpConnection {
  readonly #options: SmtpConnectionOptions;
  #socket: Socket | undefined;
  #buffer = '';
  #lines: string[] = [];
  #replies: SmtpReply[] = [];
  #waiters: Waiter[] = [];
  #failure: Error | undefined;
  #extensions = new Map<string, string>();
  #isTls = false;
  #isClosed = false;

  constructor(options: SmtpConnectionOptions) {
    this.#options = options;
  }

  /** The EHLO extensions (upper-case keyword → parameters). */
  get extensions(): ReadonlyMap<string, string> {
    return this.#extensions;
  }

  /** True once the connection failed or was closed. */
  get isClosed(): boolean {
    return this.#isClosed;
  }

  /** True when the conversation runs over TLS (SMTPS or after STARTTLS). */
  get isSecure(): boolean {
    return this.#isTls;
  }

  /** Connects, reads the greeting, says EHLO, upgrades with STARTTLS and authenticates. */
  async open(): Promise<void> {
    const o = this.#options;
    const secure = o.secure ?? 'starttls';
    await this.#connect(secure === 'smtps');
    const greeting = await this.#read(o.greetingTimeoutMs ?? 30_000, 'greeting');
    if (greeting.code !== 220) throw this.#replyError(greeting, 'greeting');
    await this.#hello();
    if (secure === 'starttls') {
      if (!this.#extensions.has('STARTTLS'))
        throw this.#fail(
          new MailerError(
            ERROR_CODES.TLS_REQUIRED,
            `${o.host}:${o.port} does not offer STARTTLS (set secure: 'none' to send in plain text)`,
          ),
        );
      await this.#expect('STARTTLS', 'STARTTLS', 220);
      await this.#upgrade();
      await this.#hello();
    }
    if (o.auth) await this.#authenticate(o.auth);
  }

  async #connect(tls: boolean): Promise<void> {
    const o = this.#options;
    const timeoutMs = o.connectTimeoutMs ?? 30_000;
    const socket: Socket = tls
      ? tlsConnect({ servername: o.host, ...o.tls, host: o.host, port: o.port })
      : netConnect({ host: o.host, port: o.port });
    // Commands and message parts are small writes that wait on replies: Nagle's algorithm
    // would hold each one back for the peer's delayed ACK.
    socket.setNoDelay(true);
    this.#socket = socket;
    this.#isTls = tls;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        socket.destroy();
        reject(
          new MailerError(
            ERROR_CODES.TIMEOUT,
            `connecting to ${o.host}:${o.port} timed out after ${timeoutMs} ms`,
          ),
        );
      }, timeoutMs);
      socket.once(tls ? 'secureConnect' : 'connect', () => {
        clearTimeout(timer);
        socket.off('error', onError);
        resolve();
      });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(
          new MailerError(
            ERROR_CODES.CONNECTION_FAILED,
            `cannot connect to ${o.host}:${o.port}: ${err.message}`,
            {
              cause: err,
            },
          ),
        );
      };
      socket.once('error', onError);
    }).catch((err: unknown) => {
      this.#isClosed = true;
      throw err;
    });
    this.#attach(socket);
  }

  #attach(socket: Socket): void {
    socket.setEncoding('utf8');
    socket.on('data', this.#onData);
    socket.on('error', this.#onError);
    socket.on('close', this.#onClose);
  }

  #detach(socket: Socket): void {
    socket.off('data', this.#onData);
    socket.off('error', this.#onError);
    socket.off('close', this.#onClose);
  }

  #onData = (chunk: string): void => {
    this.#buffer += chunk;
    let nl = this.#buffer.indexOf('\n');
    while (nl !== -1) {
      const line = this.#buffer.slice(0, nl).replace(/\r$/, '');
      this.#buffer = this.#buffer.slice(nl + 1);
      this.#onLine(line);
      if (this.#failure) return;
      nl = this.#buffer.indexOf('\n');
    }
    if (this.#buffer.length > MAX_LINE)
      this.#fail(new MailerError(ERROR_CODES.PROTOCOL, `reply line longer than ${MAX_LINE} bytes`));
  };

  /** Multi-line replies are `250-…` lines ending with `250 …`. @see RFC 5321 §4.2.1 */
  #onLine(line: string): void {
    const m = /^([2-5][0-9][0-9])([ -]|$)(.*)$/.exec(line);
    if (!m) {
      this.#fail(
        new MailerError(
          ERROR_CODES.PROTOCOL,
          `malformed SMTP reply ${JSON.stringify(line.slice(0, 100))}`,
        ),
      );
      return;
    }
    this.#lines.push(m[3] ?? '');
    if (this.#lines.length > MAX_REPLY_LINES) {
      this.#fail(
        new MailerError(ERROR_CODES.PROTOCOL, `reply longer than ${MAX_REPLY_LINES} lines`),
      );
      return;
    }
    if (m[2] === '-') return;
    const reply: SmtpReply = { code: Number(m[1]), lines: this.#lines };
    this.#lines = [];
    const waiter = this.#waiters.shift();
    if (waiter) waiter.resolve(reply);
    else this.#replies.push(reply);
  }

  #onError = (err: Error): void => {
    this.#fail(
      new MailerError(
        ERROR_CODES.CONNECTION_FAILED,
        `connection to ${this.#options.host}:${this.#options.port} failed: ${err.message}`,
        {
          cause: err,
        },
      ),
    );
  };

  #onClose = (): void => {
    this.#fail(
      new MailerError(
        ERROR_CODES.CONNECTION_FAILED,
        `${this.#options.host}:${this.#options.port} closed the connection`,
      ),
    );
  };

  #fail(err: Error): Error {
    if (!this.#failure) this.#failure = err;
    this.#isClosed = true;
    this.#socket?.destroy();
    for (const w of this.#waiters.splice(0)) w.reject(this.#failure);
    return this.#failure;
  }

  #read(timeoutMs: number, step: string): Promise<SmtpReply> {
    const queued = this.#replies.shift();
    if (queued) return Promise.resolve(queued);
    if (this.#failure) return Promise.reject(this.#failure);
    return new Promise<SmtpReply>((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#fail(
          new MailerError(ERROR_CODES.TIMEOUT, `no reply to ${step} within ${timeoutMs} ms`),
        );
      }, timeoutMs);
      this.#waiters.push({
        resolve: (r) => {
          clearTimeout(timer);
          resolve(r);
        },
        reject: (e) => {
          clearTimeout(timer);
          reject(e);
        },
      });
    });
  }

  #write(data: string | Uint8Array): Promise<void> {
    const socket = this.#socket;
    if (!socket || this.#failure)
      return Promise.reject(this.#failure ?? new Error('not connected'));
    if (socket.write(data)) return Promise.resolve();
    return new Promise<void>((resolve, reject) => {
      const onDrain = (): void => {
        socket.off('close', onClose);
        resolve();
      };
      const onClose = (): void => {
        socket.off('drain', onDrain);
        reject(
          this.#failure ?? new MailerError(ERROR_CODES.CONNECTION_FAILED, 'connection closed'),
        );
      };
      socket.once('drain', onDrain);
      socket.once('close', onClose);
    });
  }

  #timeout(): number {
    return this.#options.commandTimeoutMs ?? 60_000;
  }

  /** Sends one command line and reads its reply. `label` names it in errors (never AUTH data). */
  async command(line: string, label: string): Promise<SmtpReply> {
    await this.#write(`${line}\r\n`);
    return this.#read(this.#timeout(), label);
  }

  async #expect(line: string, label: string, ...codes: number[]): Promise<SmtpReply> {
    const reply = await this.command(line, label);
    if (!codes.includes(reply.code)) throw this.#replyError(reply, label);
    return reply;
  }

  #replyError(reply: SmtpReply, label: string, code?: MailerErrorCode): MailerError {
    const text = reply.lines.join('\n');
    const c =
      code ??
      (reply.code >= 500
        ? ERROR_CODES.REJECTED
        : reply.code >= 400
          ? ERROR_CODES.TEMPORARY_FAILURE
          : ERROR_CODES.PROTOCOL);
    return new MailerError(c, `${label} failed: ${reply.code} ${text}`, {
      smtpCode: reply.code,
      smtpText: text,
      command: label,
    });
  }

  async #hello(): Promise<void> {
    const name = this.#options.clientName ?? 'localhost';
    if (!/^[A-Za-z0-9.\-[\]:]+$/.test(name))
      throw new MailerError(
        ERROR_CODES.INVALID_CONFIG,
        `clientName ${JSON.stringify(name)} is not a host name`,
      );
    let reply = await this.command(`EHLO ${name}`, 'EHLO');
    this.#extensions = new Map();
    if (reply.code === 250) {
      for (const line of reply.lines.slice(1)) {
        const [kw = '', ...rest] = line.trim().split(/\s+/);
        this.#extensions.set(kw.toUpperCase(), rest.join(' '));
      }
      return;
    }
    // An old server without ESMTP: HELO, and none of the extensions. @see RFC 5321 §3.2
    reply = await this.command(`HELO ${name}`, 'HELO');
    if (reply.code !== 250) throw this.#replyError(reply, 'HELO');
  }

  async #upgrade(): Promise<void> {
    const plain = this.#socket as Socket;
    this.#detach(plain);
    // Bytes after the 220 reply to STARTTLS arrived in clear text; reading them as replies in
    // the TLS session is the STARTTLS response-injection attack. @see RFC 3207 §4.2, CVE-2011-0411
    if (this.#buffer !== '' || this.#replies.length > 0 || this.#lines.length > 0)
      throw this.#fail(
        new MailerError(ERROR_CODES.PROTOCOL, 'the server sent data after its STARTTLS reply'),
      );
    const o = this.#options;
    const tls: TLSSocket = tlsConnect({ servername: o.host, ...o.tls, socket: plain });
    this.#socket = tls;
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        reject(
          new MailerError(ERROR_CODES.TIMEOUT, `TLS handshake with ${o.host}:${o.port} timed out`),
        );
      }, o.connectTimeoutMs ?? 30_000);
      tls.once('secureConnect', () => {
        clearTimeout(timer);
        tls.off('error', onError);
        resolve();
      });
      const onError = (err: Error): void => {
        clearTimeout(timer);
        reject(
          new MailerError(
            ERROR_CODES.CONNECTION_FAILED,
            `STARTTLS with ${o.host}:${o.port} failed: ${err.message}`,
            {
              cause: err,
            },
          ),
        );
      };
      tls.once('error', onError);
    }).catch((err: unknown) => {
      throw this.#fail(err as Error);
    });
    this.#isTls = true;
    this.#buffer = '';
    this.#attach(tls);
  }

  async #authenticate(auth: SmtpAuth): Promise<void> {
    if (!this.#isTls && this.#options.allowPlainTextAuth !== true)
      throw this.#fail(
        new MailerError(
          ERROR_CODES.TLS_REQUIRED,
          'refusing to send credentials over a plain-text connection (set allowPlainTextAuth to allow it)',
        ),
      );
    await authenticate(this.#io, auth);
  }

  /**
   * Sends one message: MAIL FROM, RCPT TO per recipient, then the content with DATA
   * (dot-stuffed) or BDAT chunks when the server offers CHUNKING; pipelined when it offers
   * PIPELINING. Recipients the server refuses are reported in `rejected`; the message goes to the
   * others. `content` must use CRLF. After a failed send, `reset()` or discard the connection.
   * @see RFC 5321 §4.1.1, RFC 2920 (PIPELINING), RFC 3030 (CHUNKING), RFC 3461 (DSN)
   */
  send(
    envelope: { from: string; to: readonly string[] },
    content: AsyncIterable<Uint8Array>,
    params: SendParams = {},
  ): Promise<SendResult> {
    return sendTransaction(this.#io, envelope, content, params, this.#options.chunking !== false);
  }

  /** The connection as the AUTH and transaction steps see it. */
  readonly #io: SmtpIo = this.#makeIo();

  #makeIo(): SmtpIo {
    const conn = this;
    return {
      get extensions() {
        return conn.#extensions;
      },
      write: (data) => this.#write(data),
      read: (label) => this.#read(this.#timeout(), label),
      command: (line, label) => this.command(line, label),
      replyError: (reply, label, code) => this.#replyError(reply, label, code),
      fail: (err) => this.#fail(err),
      reset: () => this.reset(),
    };
  }

  /** RSET: ends a transaction so the connection can carry the next message. */
  async reset(): Promise<void> {
    await this.#expect('RSET', 'RSET', 250);
  }

  /** QUIT politely (bounded by the command timeout), then closes the socket. */
  async quit(): Promise<void> {
    if (!this.#isClosed) {
      try {
        await this.command('QUIT', 'QUIT');
      } catch {
        // The goodbye is a courtesy; the socket goes either way.
      }
    }
    this.destroy();
  }

  /** Closes the socket at once. */
  destroy(): void {
    this.#isClosed = true;
    const socket = this.#socket;
    if (socket) {
      this.#detach(socket);
      socket.on('error', () => undefined);
      socket.destroy();
    }
    for (const w of this.#waiters.splice(0))
      w.reject(this.#failure ?? new MailerError(ERROR_CODES.CLOSED, 'the connection was closed'));
  }
}
