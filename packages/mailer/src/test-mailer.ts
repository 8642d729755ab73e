import type { Address } from './address.js';
import type { MailSender, SendInfo } from './mailer.js';
import { buildMessage, type MailMessage, serializeHeaders } from './mime-message.js';

/** One message a `TestMailer` recorded. */
export interface RecordedMessage {
  readonly envelope: { readonly from: string; readonly to: readonly string[] };
  readonly messageId: string;
  /** The message as it would go on the wire (headers, blank line, body; CRLF). */
  readonly raw: string;
  /** The message as given to `send`. */
  readonly message: MailMessage;
}

/**
 * A `MailSender` that records messages instead of sending them, for tests of code that sends
 * mail. It builds each message exactly as `Mailer` does, so invalid input fails the same way.
 */
export class TestMailer implements MailSender {
  readonly messages: RecordedMessage[] = [];
  readonly #from: string | Address | undefined;

  constructor(options: { from?: string | Address | undefined } = {}) {
    this.#from = options.from;
  }

  /** Records the message; resolves like `Mailer.send` with every recipient accepted. */
  async send(message: MailMessage): Promise<SendInfo> {
    const built = buildMessage({ ...message, from: message.from ?? this.#from });
    let raw = `${serializeHeaders(built.headers)}\r\n`;
    for await (const chunk of built.body()) raw += chunk.toString('utf8');
    this.messages.push({ envelope: built.envelope, messageId: built.messageId, raw, message });
    return {
      accepted: [...built.envelope.to],
      rejected: [],
      response: '250 recorded',
      messageId: built.messageId,
      envelope: built.envelope,
    };
  }

  /** Nothing to close. */
  async close(): Promise<void> {}
}

/** Creates a `TestMailer`. */
export function createTestMailer(
  options: { from?: string | Address | undefined } = {},
): TestMailer {
  return new TestMailer(options);
}
