/**
 * DSN (RFC 3461) against smtp-server: the parameters it parses when it advertises DSN, and the
 * `ifUnsupported` policy when it hides it.
 */
import { isRwsError } from '@rws/core';
import { describe, expect, onTestFinished, test } from 'vitest';
import {
  buildMessage,
  createMailer,
  createTestMailer,
  ERROR_CODES,
  type MailerError,
  type MailMessage,
} from '../src/index.js';
import { rejection } from './rejection.js';
import { startPeer } from './smtp-peer.js';

const MSG: MailMessage = {
  from: 'ada@example.com',
  to: ['bob@example.org', 'carol@example.net'],
  subject: 'DSN',
  text: 'Hello',
};

function mailer(port: number) {
  const m = createMailer({ host: '127.0.0.1', port, secure: 'none', retries: 0 });
  onTestFinished(() => m.close());
  return m;
}

// smtp-server hides DSN unless told otherwise.
describe('the server advertises DSN', () => {
  test('RET, ENVID (xtext), NOTIFY per message and per recipient, ORCPT', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'], hideDSN: false });
    const info = await mailer(peer.port).send({
      ...MSG,
      dsn: {
        ret: 'HDRS',
        envid: 'order 42+a=b',
        notify: ['FAILURE', 'DELAY'],
        recipients: {
          'Carol <carol@example.net>': { notify: 'NEVER', orcpt: 'carol+old@example.net' },
        },
      },
    });
    expect(info.accepted).toEqual(['bob@example.org', 'carol@example.net']);
    const got = peer.received[0];
    // smtp-server decodes xtext: what arrives is exactly what was asked for.
    expect(got?.mailArgs).toEqual({ RET: 'HDRS', ENVID: 'order 42+a=b' });
    expect(got?.rcptArgs).toEqual([
      { NOTIFY: 'FAILURE,DELAY' },
      { NOTIFY: 'NEVER', ORCPT: 'rfc822;carol+old@example.net' },
    ]);
  });

  test('SUCCESS for one recipient only; the rest get no DSN parameters', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'], hideDSN: false });
    await mailer(peer.port).send({
      ...MSG,
      dsn: { recipients: { 'bob@example.org': { notify: 'SUCCESS' } } },
    });
    expect(peer.received[0]?.mailArgs).toEqual({});
    expect(peer.received[0]?.rcptArgs).toEqual([{ NOTIFY: 'SUCCESS' }, {}]);
  });
});

describe('the server hides DSN', () => {
  test('default policy: RWS_MAILER_UNSUPPORTED_EXTENSION before MAIL FROM, nothing sent', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'], hideDSN: true });
    const err = await rejection(mailer(peer.port).send({ ...MSG, dsn: { notify: 'SUCCESS' } }));
    expect(err.code).toBe(ERROR_CODES.UNSUPPORTED_EXTENSION);
    expect(err.message).toMatch(/does not offer DSN/);
    expect(err.isTransient).toBe(false);
    expect(peer.received).toHaveLength(0);
  });

  test("ifUnsupported: 'ignore' sends the message without DSN parameters", async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'], hideDSN: true });
    const info = await mailer(peer.port).send({
      ...MSG,
      dsn: { ret: 'FULL', notify: 'SUCCESS', ifUnsupported: 'ignore' },
    });
    expect(info.accepted).toHaveLength(2);
    expect(peer.received[0]?.mailArgs).toEqual({});
    expect(peer.received[0]?.rcptArgs).toEqual([{}, {}]);
  });

  test('a message without dsn is unaffected', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'], hideDSN: true });
    await mailer(peer.port).send(MSG);
    expect(peer.received).toHaveLength(1);
  });
});

describe('bad DSN options are refused before connecting', () => {
  const cases: Array<[string, MailMessage['dsn'], RegExp]> = [
    ['ret', { ret: 'ALL' as 'FULL' }, /ret must be FULL or HDRS/],
    ['empty envid', { envid: '' }, /envid must be non-empty printable ASCII/],
    ['envid with CRLF', { envid: 'a\r\nRCPT TO:<x@y.z>' }, /envid must be non-empty printable/],
    ['non-ASCII envid', { envid: 'größe' }, /envid must be non-empty printable/],
    ['long envid', { envid: '+'.repeat(40) }, /envid is longer than 100 characters encoded/],
    ['NEVER with others', { notify: ['NEVER', 'SUCCESS'] as never }, /NEVER stands alone/],
    ['unknown event', { notify: ['SUCCESS', 'BOUNCE'] as never }, /"BOUNCE" is not SUCCESS/],
    ['empty notify', { notify: [] }, /notify must be NEVER or a list/],
    [
      'unknown recipient',
      { recipients: { 'eve@example.com': { notify: 'NEVER' } } },
      /"eve@example.com" is not an envelope recipient/,
    ],
    ['bad orcpt', { recipients: { 'bob@example.org': { orcpt: '"a@b"@c.d' } } }, /./],
    ['policy', { ifUnsupported: 'maybe' as 'fail' }, /ifUnsupported must be fail or ignore/],
  ];
  test.each(cases)('%s', (_name, dsn, message) => {
    let err: unknown;
    try {
      buildMessage({ ...MSG, dsn });
    } catch (e) {
      err = e;
    }
    expect(isRwsError(err)).toBe(true);
    expect((err as MailerError).code).toMatch(/RWS_MAILER_INVALID_(MESSAGE|ADDRESS)/);
    expect((err as MailerError).message).toMatch(message);
  });

  test('TestMailer validates dsn the same way', async () => {
    const outbox = createTestMailer();
    const err = await rejection(outbox.send({ ...MSG, dsn: { ret: 'X' as 'FULL' } }));
    expect(err.code).toBe(ERROR_CODES.INVALID_MESSAGE);
  });

  test('a Unicode original recipient is a utf-8 ORCPT (RFC 6533)', () => {
    const built = buildMessage({
      ...MSG,
      dsn: { recipients: { 'bob@example.org': { orcpt: 'zoë+x@example.org' } } },
    });
    expect(built.dsn?.rcpt).toEqual([' ORCPT=utf-8;zo\\x{EB}\\x{2B}x@example.org', '']);
  });
});
