import type { DsnParameters } from '../dsn.js';
import { ERROR_CODES, MailerError } from '../errors.js';
import { dotStuff } from './dot-stuff.js';
import type { SmtpIo, SmtpReply } from './smtp-io.js';

/** What the server accepted for one message. */
export interface SendResult {
  readonly accepted: readonly string[];
  readonly rejected: readonly string[];
  /** The final reply to the message (DATA's end or the last BDAT), e.g. `250 2.0.0 Ok: queued as …`. */
  readonly response: string;
}

/** Per-message options of `SmtpConnection.send`. */
export interface SendParams {
  /** An address needs SMTPUTF8 (RFC 6531); refused when the server does not offer it. */
  smtpUtf8?: boolean | undefined;
  /** The content has 8-bit text: `BODY=8BITMIME` when offered (RFC 6152). */
  eightBit?: boolean | undefined;
  /**
   * The content is binary MIME (RFC 3030 §3): `BODY=BINARYMIME` over BDAT. Needs CHUNKING and
   * BINARYMIME, else `RWS_MAILER_UNSUPPORTED_EXTENSION`.
   */
  binaryMime?: boolean | undefined;
  /** The exact size in bytes when known: `SIZE=` and an early check against the server's limit. */
  size?: number | undefined;
  /** DSN parameters from `dsnParameters` (sent only when the server offers DSN). */
  dsn?: DsnParameters | undefined;
}

/** The size of a BDAT chunk; small parts are gathered up to this, large ones go as they are. */
const CHUNK_BYTES = 64 * 1024;

function unsupported(message: string): MailerError {
  return new MailerError(ERROR_CODES.UNSUPPORTED_EXTENSION, message);
}

/** MAIL FROM parameters; throws before anything is sent when the server lacks what is needed. */
function mailParameters(io: SmtpIo, params: SendParams, chunking: boolean): string {
  const ext = io.extensions;
  let out = '';
  if (params.smtpUtf8) {
    if (!ext.has('SMTPUTF8'))
      throw new MailerError(
        ERROR_CODES.INVALID_MESSAGE,
        'an address needs SMTPUTF8, which the server does not offer',
      );
    out += ' SMTPUTF8';
  }
  if (params.binaryMime) {
    if (!chunking || !ext.has('BINARYMIME'))
      throw unsupported(
        'the message is binary MIME, which needs CHUNKING and BINARYMIME; the server does not offer both',
      );
    out += ' BODY=BINARYMIME';
  } else if (params.eightBit && ext.has('8BITMIME')) out += ' BODY=8BITMIME';
  const maxSize = Number(ext.get('SIZE') ?? '0') || 0;
  if (params.size !== undefined && ext.has('SIZE')) {
    if (maxSize > 0 && params.size > maxSize)
      throw new MailerError(
        ERROR_CODES.MESSAGE_TOO_LARGE,
        `the message (${params.size} bytes) exceeds the server's SIZE ${maxSize}`,
      );
    out += ` SIZE=${params.size}`;
  }
  return out;
}

/** The DSN parameters to send, or none; refuses when DSN is asked for and not offered. @see RFC 3461 */
function dsnToSend(io: SmtpIo, dsn: DsnParameters | undefined): DsnParameters | undefined {
  if (!dsn || io.extensions.has('DSN')) return dsn;
  if (dsn.ifUnsupported === 'ignore') return undefined;
  throw unsupported(
    "the message asks for delivery status notifications, but the server does not offer DSN (set dsn.ifUnsupported: 'ignore' to send without)",
  );
}

/**
 * Sends one message: MAIL FROM, RCPT TO per recipient, then the content with DATA (dot-stuffed)
 * or, when the server offers CHUNKING, with BDAT chunks. With PIPELINING the envelope goes in
 * one write (and DATA with it), and BDAT chunks are written without waiting for each reply.
 * @see RFC 5321 §4.1.1, RFC 2920 (PIPELINING), RFC 3030 (CHUNKING)
 */
export async function sendTransaction(
  io: SmtpIo,
  envelope: { from: string; to: readonly string[] },
  content: AsyncIterable<Uint8Array>,
  params: SendParams,
  useChunking: boolean,
): Promise<SendResult> {
  const chunking = useChunking && io.extensions.has('CHUNKING');
  const pipelining = io.extensions.has('PIPELINING');
  const dsn = dsnToSend(io, params.dsn);
  const mailParams = mailParameters(io, params, chunking) + (dsn?.mail ?? '');
  const commands: Array<[string, string]> = [
    [`MAIL FROM:<${envelope.from}>${mailParams}`, 'MAIL FROM'],
  ];
  envelope.to.forEach((to, i) => {
    commands.push([`RCPT TO:<${to}>${dsn?.rcpt[i] ?? ''}`, `RCPT TO <${to}>`]);
  });
  if (!chunking) commands.push(['DATA', 'DATA']);
  const replies = await envelopeReplies(io, commands, pipelining, chunking);
  const mail = replies[0] as SmtpReply;
  if (mail.code !== 250) {
    await drainAfterFailure(io, replies, commands.length);
    throw io.replyError(mail, 'MAIL FROM');
  }
  const accepted: string[] = [];
  const rejected: string[] = [];
  let lastRefusal: SmtpReply | undefined;
  envelope.to.forEach((to, i) => {
    const r = replies[i + 1];
    if (r && (r.code === 250 || r.code === 251)) accepted.push(to);
    else {
      rejected.push(to);
      lastRefusal = r ?? lastRefusal;
    }
  });
  if (accepted.length === 0) {
    await drainAfterFailure(io, replies, commands.length);
    const r = lastRefusal as SmtpReply;
    const err = io.replyError(r, 'RCPT TO');
    throw new MailerError(
      err.code as never,
      `every recipient was refused: ${r.code} ${r.lines.join('\n')}`,
      { smtpCode: r.code, smtpText: r.lines.join('\n'), command: 'RCPT TO', rejected },
    );
  }
  const maxSize = Number(io.extensions.get('SIZE') ?? '0') || 0;
  let done: SmtpReply;
  if (chunking) done = await sendChunks(io, content, maxSize, pipelining);
  else {
    const data = replies[commands.length - 1] as SmtpReply;
    if (data.code !== 354) {
      await resetOrClose(io);
      throw io.replyError(data, 'DATA');
    }
    done = await sendData(io, content, maxSize);
  }
  return { accepted, rejected, response: `${done.code} ${done.lines.join('\n')}` };
}

/** Writes the envelope commands (in one write with PIPELINING) and reads their replies. */
async function envelopeReplies(
  io: SmtpIo,
  commands: ReadonlyArray<readonly [string, string]>,
  pipelining: boolean,
  chunking: boolean,
): Promise<SmtpReply[]> {
  const replies: SmtpReply[] = [];
  if (pipelining) {
    await io.write(commands.map((c) => `${c[0]}\r\n`).join(''));
    for (const [, label] of commands) replies.push(await io.read(label));
    return replies;
  }
  const rcptEnd = chunking ? commands.length : commands.length - 1;
  for (const [line, label] of commands) {
    const reply = await io.command(line, label);
    replies.push(reply);
    // Without pipelining, stop at the first refusal that makes the rest pointless.
    if (label === 'MAIL FROM' && reply.code !== 250) break;
    if (label === 'DATA') break;
    if (
      !chunking &&
      replies.length === rcptEnd &&
      !replies.slice(1).some((r) => r.code === 250 || r.code === 251)
    )
      break;
  }
  return replies;
}

/**
 * Ends an open transaction with RSET; when that fails too, closes the connection. Either way
 * no transaction is left open, so a connection still open after a failed send can carry the
 * next message.
 */
async function resetOrClose(io: SmtpIo): Promise<void> {
  try {
    await io.reset();
  } catch (err) {
    io.fail(err as Error);
  }
}

/** After a refused envelope, resets the transaction (or closes when DATA was oddly accepted). */
async function drainAfterFailure(
  io: SmtpIo,
  replies: SmtpReply[],
  expected: number,
): Promise<void> {
  const last = replies[replies.length - 1];
  if (replies.length === expected && last?.code === 354) {
    // DATA was pipelined and accepted without recipients: only closing ends it safely.
    io.fail(new MailerError(ERROR_CODES.CONNECTION_FAILED, 'DATA accepted without recipients'));
    return;
  }
  await resetOrClose(io);
}

/** Joins small pieces into writes of at least CHUNK_BYTES (the last may be shorter). */
async function* coalesce(source: AsyncIterable<Buffer>): AsyncIterable<Buffer> {
  let parts: Buffer[] = [];
  let length = 0;
  for await (const piece of source) {
    parts.push(piece);
    length += piece.length;
    if (length >= CHUNK_BYTES) {
      yield parts.length === 1 ? piece : Buffer.concat(parts, length);
      parts = [];
      length = 0;
    }
  }
  if (length > 0) yield Buffer.concat(parts, length);
}

/** The content after a 354, dot-stuffed, ending with CRLF "." CRLF. @see RFC 5321 §4.5.2 */
async function sendData(
  io: SmtpIo,
  content: AsyncIterable<Uint8Array>,
  maxSize: number,
): Promise<SmtpReply> {
  try {
    await writeData(io, content, maxSize);
  } catch (err) {
    // Only the final dot ends DATA: with part of a message sent, the connection cannot be
    // reused.
    throw io.fail(err as Error);
  }
  const done = await io.read('end of DATA');
  if (done.code !== 250) throw io.replyError(done, 'end of DATA');
  return done;
}

async function writeData(
  io: SmtpIo,
  content: AsyncIterable<Uint8Array>,
  maxSize: number,
): Promise<void> {
  let bytes = 0;
  for await (const chunk of coalesce(dotStuff(content))) {
    bytes += chunk.length;
    if (maxSize > 0 && bytes > maxSize) {
      // Nothing can end DATA but the final dot, and that would send a truncated message.
      throw new MailerError(
        ERROR_CODES.MESSAGE_TOO_LARGE,
        `the message exceeds the server's SIZE ${maxSize}`,
      );
    }
    await io.write(chunk);
  }
}

/**
 * The content as `BDAT <n>` chunks, the last one `BDAT <n> LAST`; no dot-stuffing. With
 * PIPELINING the chunks are written back to back and the replies read as they come; the first
 * refusal stops further chunks (RFC 3030 §2: a failed chunk fails the transaction). A refused or
 * oversized message is not truncated: the transaction is reset instead.
 */
async function sendChunks(
  io: SmtpIo,
  content: AsyncIterable<Uint8Array>,
  maxSize: number,
  pipelining: boolean,
): Promise<SmtpReply> {
  const pending: Array<Promise<SmtpReply>> = [];
  let refused: { reply: SmtpReply; label: string } | undefined;
  const send = async (parts: Buffer[], length: number, last: boolean): Promise<void> => {
    const label = last ? 'BDAT LAST' : 'BDAT';
    const head = `BDAT ${length}${last ? ' LAST' : ''}\r\n`;
    if (parts.length === 1 && length >= CHUNK_BYTES) {
      await io.write(head);
      await io.write(parts[0] as Buffer);
    } else await io.write(Buffer.concat([Buffer.from(head), ...parts]));
    const reply = io.read(label);
    reply.then(
      (r) => {
        if (r.code !== 250 && !refused) refused = { reply: r, label };
      },
      () => undefined,
    );
    pending.push(reply);
    if (!pipelining) await reply;
  };
  let parts: Buffer[] = [];
  let length = 0;
  let total = 0;
  let tooLarge = false;
  try {
    for await (const input of content) {
      if (input.byteLength === 0) continue;
      total += input.byteLength;
      if (maxSize > 0 && total > maxSize) {
        tooLarge = true;
        break;
      }
      // One part of look-ahead: a chunk is sent once more content follows, so the last is LAST.
      if (length >= CHUNK_BYTES) {
        await send(parts, length, false);
        parts = [];
        length = 0;
        if (refused) break;
      }
      parts.push(Buffer.from(input.buffer, input.byteOffset, input.byteLength));
      length += input.byteLength;
    }
  } catch (err) {
    // A chunk may be half written or its reply unread: the connection cannot be reused.
    throw io.fail(err as Error);
  }
  if (!refused && !tooLarge) await send(parts, length, true);
  let final: SmtpReply | undefined;
  for (const reply of pending) final = await reply;
  if (refused || tooLarge) {
    // A transaction stopped before LAST is still open on the server.
    await resetOrClose(io);
    if (refused) throw io.replyError(refused.reply, refused.label);
    throw new MailerError(
      ERROR_CODES.MESSAGE_TOO_LARGE,
      `the message exceeds the server's SIZE ${maxSize}`,
    );
  }
  return final as SmtpReply;
}
