/**
 * Against a real MTA: Debian's postfix, started by the test on a free loopback port with its
 * own configuration, delivering into maildirs that the test parses back. Postfix advertises
 * PIPELINING, CHUNKING, DSN, 8BITMIME and SMTPUTF8, so this is BDAT and DSN against an
 * independent implementation. Skipped (with the reason) where postfix is not installed or the
 * tests do not run as root.
 */
import { randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { createMailer, ERROR_CODES, type MailerError } from '../src/index.js';
import { type Postfix, postfixUnavailable, startPostfix } from './postfix.js';

const unavailable = postfixUnavailable();

describe.skipIf(unavailable !== undefined)(
  `postfix${unavailable ? ` (skipped: ${unavailable})` : ''}`,
  { timeout: 90_000 },
  () => {
    let postfix: Postfix;
    beforeAll(async () => {
      postfix = await startPostfix(['bob', 'ada', 'carol', 'dan', 'erin']);
    }, 90_000);
    afterAll(() => postfix?.stop());

    // One connection per message, so each session's disconnect line is logged right away.
    const mailer = (options: { chunking?: boolean } = {}) =>
      createMailer({ host: '127.0.0.1', port: postfix.port, secure: 'none', ...options });

    test('BDAT: a message with an attachment lands in the maildir byte for byte', async () => {
      const m = mailer();
      const data = randomBytes(200_000);
      const text = '.leading dot\n..two\nGrüße';
      const info = await m.send({
        from: 'Ada <ada@example.test>',
        to: 'Bob <bob@example.test>',
        subject: 'Über postfix',
        text,
        attachments: [{ filename: 'data.bin', content: data }],
      });
      await m.close();
      expect(info.accepted).toEqual(['bob@example.test']);
      expect(info.response).toMatch(/^250 2\.0\.0 Ok: \d+ bytes queued as /);
      const [raw] = await postfix.mailbox('bob');
      const parsed = await simpleParser(raw as Buffer);
      expect(parsed.subject).toBe('Über postfix');
      expect(parsed.messageId).toBe(info.messageId);
      expect(parsed.text?.replace(/\n$/, '')).toBe(text);
      expect(parsed.attachments[0]?.content.equals(data)).toBe(true);
      // smtpd counts the commands of each session: BDAT, never DATA.
      const log = await postfix.waitForLog(/disconnect from .* bdat=\d+/);
      expect(log).not.toMatch(/ data=\d/);
    });

    test('chunking: false sends DATA instead; postfix logs data=1', async () => {
      const m = mailer({ chunking: false });
      await m.send({ from: 'ada@example.test', to: 'carol@example.test', subject: 'd', text: 'x' });
      await m.close();
      const [raw] = await postfix.mailbox('carol');
      expect((await simpleParser(raw as Buffer)).text?.trim()).toBe('x');
      await postfix.waitForLog(/disconnect from .* data=1/);
    });

    test('DSN: NOTIFY=SUCCESS brings a delivery report with ENVID and ORCPT to the sender', async () => {
      const m = mailer();
      await m.send({
        from: 'ada@example.test',
        to: 'dan@example.test',
        subject: 'receipt please',
        text: 'hi',
        dsn: {
          ret: 'HDRS',
          envid: 'rws order 42',
          notify: ['SUCCESS', 'FAILURE'],
          recipients: { 'dan@example.test': { orcpt: 'daniel@example.test' } },
        },
      });
      await m.close();
      await postfix.mailbox('dan');
      const [report] = await postfix.mailbox('ada');
      const text = (report as Buffer).toString();
      expect(text).toMatch(/Content-Type: multipart\/report; report-type=delivery-status/);
      expect(text).toMatch(/Original-Envelope-Id: rws order 42/);
      expect(text).toMatch(/Original-Recipient: rfc822;\s*daniel@example\.test/);
      expect(text).toMatch(/Final-Recipient: rfc822;\s*dan@example\.test/);
      expect(text).toMatch(/Action: delivered/);
    });

    test('an unknown mailbox is refused at RCPT; the other recipient gets the message', async () => {
      const m = mailer();
      const info = await m.send({
        from: 'ada@example.test',
        to: ['erin@example.test', 'nobody@example.test'],
        subject: 'partial',
        text: 'x',
      });
      expect(info.accepted).toEqual(['erin@example.test']);
      expect(info.rejected).toEqual(['nobody@example.test']);
      await postfix.mailbox('erin');
      const err = (await m
        .send({ from: 'ada@example.test', to: 'nobody@example.test', text: 'x' })
        .catch((e: unknown) => e)) as MailerError;
      await m.close();
      expect(err.code).toBe(ERROR_CODES.REJECTED);
      expect(err.smtpCode).toBe(550);
      expect(err.smtpText).toMatch(/User unknown/);
    });
  },
);
