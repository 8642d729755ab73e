import { RwsError } from '@rws/core';

/**
 * Every error code @rws/mailer throws. docs/errors.md lists the same codes; a test keeps the two
 * in step.
 */
export const ERROR_CODES = {
  INVALID_CONFIG: 'RWS_MAILER_INVALID_CONFIG',
  INVALID_ADDRESS: 'RWS_MAILER_INVALID_ADDRESS',
  INVALID_HEADER: 'RWS_MAILER_INVALID_HEADER',
  INVALID_MESSAGE: 'RWS_MAILER_INVALID_MESSAGE',
  CONNECTION_FAILED: 'RWS_MAILER_CONNECTION_FAILED',
  TIMEOUT: 'RWS_MAILER_TIMEOUT',
  TLS_REQUIRED: 'RWS_MAILER_TLS_REQUIRED',
  AUTH_FAILED: 'RWS_MAILER_AUTH_FAILED',
  REJECTED: 'RWS_MAILER_REJECTED',
  TEMPORARY_FAILURE: 'RWS_MAILER_TEMPORARY_FAILURE',
  PROTOCOL: 'RWS_MAILER_PROTOCOL',
  MESSAGE_TOO_LARGE: 'RWS_MAILER_MESSAGE_TOO_LARGE',
  UNSUPPORTED_EXTENSION: 'RWS_MAILER_UNSUPPORTED_EXTENSION',
  CLOSED: 'RWS_MAILER_CLOSED',
} as const;

/** A code @rws/mailer throws. */
export type MailerErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<MailerErrorCode, string>> = {
  RWS_MAILER_INVALID_CONFIG:
    'A mailer option or RWS_SMTP_* variable is invalid; the message names the key (never the password).',
  RWS_MAILER_INVALID_ADDRESS:
    'An email address or address list does not parse under the strict RFC 5322 subset the mailer accepts.',
  RWS_MAILER_INVALID_HEADER:
    'A header name is not a token, a header value holds CR or LF (header injection), or a reserved header was set by hand.',
  RWS_MAILER_INVALID_MESSAGE:
    'A message has no sender, no recipient or no body, or an attachment cannot be read.',
  RWS_MAILER_CONNECTION_FAILED:
    'The SMTP server could not be reached, or it closed the connection in the middle of a conversation.',
  RWS_MAILER_TIMEOUT:
    'Connecting, the greeting or one SMTP command took longer than its timeout; the message names the step.',
  RWS_MAILER_TLS_REQUIRED:
    'The server does not offer STARTTLS although TLS is required, or credentials would cross a plain-text connection.',
  RWS_MAILER_AUTH_FAILED:
    'The server refused the credentials, or offers no AUTH mechanism the mailer supports; carries the SMTP code and text.',
  RWS_MAILER_REJECTED:
    'The server answered a command with a permanent 5xx reply (sender, recipients or message refused); carries the SMTP code and text.',
  RWS_MAILER_TEMPORARY_FAILURE:
    'The server answered with a transient 4xx reply, still failing after the configured retries; carries the SMTP code and text.',
  RWS_MAILER_PROTOCOL:
    'The server sent something that is not a valid SMTP reply (a malformed or overlong line, an unexpected code).',
  RWS_MAILER_MESSAGE_TOO_LARGE: 'The message is larger than the SIZE limit the server advertised.',
  RWS_MAILER_UNSUPPORTED_EXTENSION:
    'The message needs an SMTP extension the server does not advertise (DSN requested without dsn.ifUnsupported: ignore, or BINARYMIME without CHUNKING and BINARYMIME).',
  RWS_MAILER_CLOSED: 'The mailer was closed; no more messages can be sent.',
};

/** Options of a `MailerError`. */
export interface MailerErrorOptions {
  cause?: unknown;
  /** The SMTP reply code (`550`), when the server answered. */
  smtpCode?: number | undefined;
  /** The server's reply text, lines joined with a newline. */
  smtpText?: string | undefined;
  /** The command the reply answered (`MAIL FROM`, `RCPT TO`, `DATA`, `AUTH PLAIN`…), never its arguments for AUTH. */
  command?: string | undefined;
  /** Recipients the server refused (RCPT TO rejections). */
  rejected?: readonly string[] | undefined;
}

/**
 * An error from @rws/mailer. SMTP replies carry `smtpCode` and `smtpText`; `isTransient` tells a
 * 4xx (retry later) from a 5xx (permanent).
 */
export class MailerError extends RwsError {
  readonly smtpCode: number | undefined;
  readonly smtpText: string | undefined;
  readonly command: string | undefined;
  readonly rejected: readonly string[];

  constructor(code: MailerErrorCode, message: string, options: MailerErrorOptions = {}) {
    super(code, message, { cause: options.cause });
    this.name = 'MailerError';
    this.smtpCode = options.smtpCode;
    this.smtpText = options.smtpText;
    this.command = options.command;
    this.rejected = options.rejected ?? [];
  }

  /** True for a 4xx reply or a dropped connection: the same message may succeed later. */
  get isTransient(): boolean {
    if (this.smtpCode !== undefined) return this.smtpCode >= 400 && this.smtpCode < 500;
    return this.code === ERROR_CODES.CONNECTION_FAILED || this.code === ERROR_CODES.TIMEOUT;
  }
}
