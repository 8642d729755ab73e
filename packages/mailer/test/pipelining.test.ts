/**
 * Issue #18: SMTP PIPELINING (RFC 2920) byte for byte against a scripted server that, as RFC
 * 2920 §3.1 allows, answers nothing of a batch until its last command (DATA) arrives: a client
 * that waited for each reply would stall until its command timeout.
 */
import type { Socket } from 'node:net';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createMailer, ERROR_CODES, type MailerOptions } from '../src/index.js';
import { type RawServer, rawServer } from './raw-smtp-server.js';
import { rejection } from './rejection.js';

const MSG = { from: 'Ada <ada@example.com>', subject: 'Hi', text: 'Hello\r\n.dot line\r\n' };

interface Script {
  /** The reply to MAIL FROM number `n` (0-based); default 250. */
  mail?: (n: number) => string;
  /** The reply to RCPT TO `address`; default 250. */
  rcpt?: (address: string) => string;
  /** The reply to DATA given how many RCPTs of the batch were accepted; default 354 or 554. */
  data?: (accepted: number) => string;
}

interface PipeliningServer extends RawServer {
  /** Message contents received (dot-stuffing undone), in order. */
  messages: string[];
}

/** What the server knows of one connection's current transaction. */
interface Session {
  batch: string;
  isMailAccepted: boolean;
  accepted: number;
  /** The content read so far after a 354, or null outside DATA. */
  content: string | null;
}

async function pipeliningServer(script: Script = {}): Promise<PipeliningServer> {
  const messages: string[] = [];
  const sessions = new WeakMap<Socket, Session>();
  let mails = 0;
  const server = await rawServer('220 pipelining test server\r\n', (s, line) => {
    let session = sessions.get(s);
    if (session === undefined) {
      session = { batch: '', isMailAccepted: false, accepted: 0, content: null };
      sessions.set(s, session);
    }
    if (session.content !== null) {
      if (line !== '.') {
        session.content += `${line.startsWith('.') ? line.slice(1) : line}\r\n`;
        return;
      }
      messages.push(session.content);
      session.content = null;
      s.write('250 2.0.0 queued\r\n');
      return;
    }
    if (line.startsWith('EHLO')) s.write('250-hi\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
    else if (line.startsWith('MAIL FROM:')) {
      const reply = script.mail?.(mails++) ?? '250 2.1.0 ok\r\n';
      session.isMailAccepted = reply.startsWith('250');
      session.accepted = 0;
      session.batch += reply;
    } else if (line.startsWith('RCPT TO:')) {
      const address = line.slice('RCPT TO:<'.length, line.indexOf('>'));
      const reply = !session.isMailAccepted
        ? '503 5.5.1 MAIL first\r\n'
        : (script.rcpt?.(address) ?? '250 2.1.5 ok\r\n');
      if (reply.startsWith('25')) session.accepted++;
      session.batch += reply;
    } else if (line === 'DATA') {
      const reply =
        script.data?.(session.accepted) ??
        (session.accepted > 0 ? '354 go\r\n' : '554 5.5.1 no valid recipients\r\n');
      // The whole batch is answered at once, only now.
      s.write(session.batch + reply);
      session.batch = '';
      if (reply.startsWith('354')) session.content = '';
    } else if (line === 'RSET') {
      session.isMailAccepted = false;
      s.write('250 2.0.0 reset\r\n');
    } else if (line === 'QUIT') s.end('221 bye\r\n');
    else s.write('502 5.5.2 unexpected\r\n');
  });
  return { ...server, messages };
}

function mailer(
  port: number,
  options: Partial<MailerOptions> = {},
): ReturnType<typeof createMailer> {
  // A generous timeout: a client that does not pipeline fails here only after it.
  const m = createMailer({
    host: '127.0.0.1',
    port,
    secure: 'none',
    retries: 0,
    commandTimeoutMs: 20_000,
    ...options,
  });
  onTestFinished(() => m.close());
  return m;
}

/** The commands after EHLO, as the server read them. */
function transaction(server: RawServer): string[] {
  return server.lines.filter((l) => !l.startsWith('EHLO'));
}

describe('issue #18: PIPELINING', () => {
  test('MAIL, every RCPT and DATA go in one write; the content in one more, ending the DATA', async () => {
    const server = await pipeliningServer();
    const m = mailer(server.port);
    const info = await m.send({ ...MSG, to: ['a@example.org', 'b@example.org'] });
    expect(info.accepted).toEqual(['a@example.org', 'b@example.org']);
    expect(info.response).toBe('250 2.0.0 queued');
    const envelope =
      'MAIL FROM:<ada@example.com>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<b@example.org>\r\nDATA\r\n';
    const at = server.chunks.indexOf(envelope);
    expect(at).toBeGreaterThan(-1);
    // One write per message after the 354: headers, body, dot-stuffing and the final dot.
    const message = server.chunks[at + 1] ?? '';
    expect(message).toMatch(/^From: Ada <ada@example\.com>\r\n/);
    expect(message).toContain('\r\n..dot line\r\n');
    expect(message.endsWith('\r\n.\r\n')).toBe(true);
    expect(server.messages[0]).toContain('\r\n.dot line\r\n');
  });

  test('one RCPT refused inside a pipelined batch: the others get the message, the refusal is reported', async () => {
    const server = await pipeliningServer({
      rcpt: (address) =>
        address === 'nobody@example.org'
          ? '550 5.1.1 <nobody@example.org>: no such user\r\n'
          : '250 2.1.5 ok\r\n',
    });
    const m = mailer(server.port, { pool: true });
    const info = await m.send({
      ...MSG,
      to: ['a@example.org', 'nobody@example.org', 'c@example.org'],
    });
    expect(info.accepted).toEqual(['a@example.org', 'c@example.org']);
    expect(info.rejected).toEqual(['nobody@example.org']);
    expect(server.messages).toHaveLength(1);
    expect(server.chunks).toContain(
      'MAIL FROM:<ada@example.com>\r\nRCPT TO:<a@example.org>\r\nRCPT TO:<nobody@example.org>\r\nRCPT TO:<c@example.org>\r\nDATA\r\n',
    );
    // The replies were matched to their commands in order: the next message on the same
    // connection is in step (its first reply is not a leftover of this batch).
    const next = await m.send({ ...MSG, to: 'd@example.org' });
    expect(next.accepted).toEqual(['d@example.org']);
    expect(server.connections()).toBe(1);
    expect(server.messages).toHaveLength(2);
  });

  test('every RCPT refused: DATA refused too, RSET, a permanent error listing them, the connection reused', async () => {
    const server = await pipeliningServer({
      rcpt: (address) =>
        address === 'a@example.org' ? '250 2.1.5 ok\r\n' : '550 5.1.1 no such user\r\n',
    });
    const m = mailer(server.port, { pool: true });
    const err = await rejection(m.send({ ...MSG, to: ['x@example.org', 'y@example.org'] }));
    expect(err.code).toBe(ERROR_CODES.REJECTED);
    expect(err.smtpCode).toBe(550);
    expect(err.rejected).toEqual(['x@example.org', 'y@example.org']);
    expect(transaction(server)).toEqual([
      'MAIL FROM:<ada@example.com>',
      'RCPT TO:<x@example.org>',
      'RCPT TO:<y@example.org>',
      'DATA',
      'RSET',
    ]);
    const info = await m.send({ ...MSG, to: 'a@example.org' });
    expect(info.accepted).toEqual(['a@example.org']);
    expect(server.connections()).toBe(1);
  });

  test('every RCPT refused but DATA answered 354: no empty message is sent, the connection is closed', async () => {
    const server = await pipeliningServer({
      rcpt: () => '550 5.1.1 no such user\r\n',
      data: () => '354 go\r\n',
    });
    const m = mailer(server.port, { pool: true });
    const err = await rejection(m.send({ ...MSG, to: 'x@example.org' }));
    expect(err.code).toBe(ERROR_CODES.REJECTED);
    expect(server.lines).not.toContain('.');
    expect(server.messages).toHaveLength(0);
    // The connection was closed, not returned to the pool: the next message opens another.
    await rejection(m.send({ ...MSG, to: 'a@example.org' }));
    expect(server.connections()).toBe(2);
    expect(server.lines).not.toContain('.');
  });

  test('MAIL FROM refused in a batch: the RCPT and DATA replies are consumed, RSET, the next message is in step', async () => {
    const server = await pipeliningServer({
      mail: (n) => (n === 0 ? '550 5.7.1 sender refused\r\n' : '250 2.1.0 ok\r\n'),
      data: (accepted) => (accepted > 0 ? '354 go\r\n' : '503 5.5.1 no valid recipients\r\n'),
    });
    const m = mailer(server.port, { pool: true });
    const err = await rejection(m.send({ ...MSG, to: 'a@example.org' }));
    expect(err.code).toBe(ERROR_CODES.REJECTED);
    expect(err.command).toBe('MAIL FROM');
    expect(err.smtpText).toContain('sender refused');
    expect(transaction(server)).toEqual([
      'MAIL FROM:<ada@example.com>',
      'RCPT TO:<a@example.org>',
      'DATA',
      'RSET',
    ]);
    const info = await m.send({ ...MSG, to: 'b@example.org' });
    expect(info.accepted).toEqual(['b@example.org']);
    expect(info.response).toBe('250 2.0.0 queued');
    expect(server.messages).toHaveLength(1);
    expect(server.connections()).toBe(1);
  });

  test('DATA refused after accepted recipients: RSET ends the transaction, the connection is reused', async () => {
    let datas = 0;
    const server = await pipeliningServer({
      data: (accepted) =>
        datas++ === 0
          ? '451 4.3.0 try again later\r\n'
          : accepted > 0
            ? '354 go\r\n'
            : '554 no\r\n',
    });
    const m = mailer(server.port, { pool: true });
    const err = await rejection(m.send({ ...MSG, to: 'a@example.org' }));
    expect(err.code).toBe(ERROR_CODES.TEMPORARY_FAILURE);
    expect(err.command).toBe('DATA');
    expect(transaction(server)).toEqual([
      'MAIL FROM:<ada@example.com>',
      'RCPT TO:<a@example.org>',
      'DATA',
      'RSET',
    ]);
    await m.send({ ...MSG, to: 'a@example.org' });
    expect(server.messages).toHaveLength(1);
    expect(server.connections()).toBe(1);
  });

  test('an attachment stream failing mid-DATA: the connection is closed, never reused half-written', async () => {
    const server = await pipeliningServer();
    const m = mailer(server.port, { pool: true });
    async function* failing(): AsyncIterable<Uint8Array> {
      yield Buffer.alloc(1000, 0x41);
      throw new Error('disk gone');
    }
    const err = await rejection(
      m.send({
        ...MSG,
        to: 'a@example.org',
        attachments: [{ filename: 'a.bin', content: failing() }],
      }),
    );
    expect(err.code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(server.lines).not.toContain('.');
    await m.send({ ...MSG, to: 'b@example.org' });
    expect(server.connections()).toBe(2);
    expect(server.messages).toHaveLength(1);
  });
});
