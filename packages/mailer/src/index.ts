/** @module */

export type { Address, AddressInput } from './address.js';
export { parseAddress, parseAddressList } from './address.js';
export type { DkimOptions } from './dkim-sign.js';
export { dkimSign } from './dkim-sign.js';
export type {
  DsnEvent,
  DsnNotify,
  DsnOptions,
  DsnParameters,
  DsnRecipientOptions,
} from './dsn.js';
export { encodeWords } from './encode-header.js';
export type { MailerErrorCode, MailerErrorOptions } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS, MailerError } from './errors.js';
export type { MailerOptions, MailerPoolOptions, MailSender, SendInfo } from './mailer.js';
export { createMailer, Mailer, mailerOptionsFromEnv } from './mailer.js';
export type { Attachment, BuiltMessage, Envelope, MailMessage } from './mime-message.js';
export { buildMessage } from './mime-message.js';
export type {
  SendParams,
  SendResult,
  SmtpAuth,
  SmtpConnectionOptions,
  SmtpReply,
  SmtpSecurity,
} from './smtp-connection.js';
export { SmtpConnection } from './smtp-connection.js';
export type { RecordedMessage } from './test-mailer.js';
export { createTestMailer, TestMailer } from './test-mailer.js';
