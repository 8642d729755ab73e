import type { MailerError, MailerErrorCode } from '../errors.js';

/** One SMTP reply: the code and its text lines. */
export interface SmtpReply {
  readonly code: number;
  readonly lines: readonly string[];
}

/**
 * What the AUTH and transaction steps need from a connection: the EHLO extensions, writes,
 * replies in order, and the error helpers. `SmtpConnection` implements it.
 */
export interface SmtpIo {
  readonly extensions: ReadonlyMap<string, string>;
  write(data: string | Uint8Array): Promise<void>;
  /** The next reply, within the command timeout; `label` names the step in a timeout error. */
  read(label: string): Promise<SmtpReply>;
  /** Writes `line` CRLF and reads its reply. `label` names it in errors (never AUTH data). */
  command(line: string, label: string): Promise<SmtpReply>;
  replyError(reply: SmtpReply, label: string, code?: MailerErrorCode): MailerError;
  /** Fails the connection (closing the socket) and returns the first failure. */
  fail(err: Error): Error;
  /** RSET. */
  reset(): Promise<void>;
}
