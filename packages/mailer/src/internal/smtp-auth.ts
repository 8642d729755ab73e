import { createHmac } from 'node:crypto';
import { ERROR_CODES, MailerError } from '../errors.js';
import type { SmtpAuth } from '../smtp-connection.js';
import type { SmtpIo, SmtpReply } from './smtp-io.js';

function noMechanism(wanted: string, offered: Set<string>): MailerError {
  return new MailerError(
    ERROR_CODES.AUTH_FAILED,
    `the server offers no usable AUTH mechanism (wanted ${wanted}, offered ${[...offered].filter(Boolean).join(' ') || 'none'})`,
  );
}

/**
 * AUTH with XOAUTH2, PLAIN, LOGIN or CRAM-MD5 (the first of PLAIN, LOGIN, CRAM-MD5 the server
 * offers unless `auth.method` says). The caller has checked that the connection may carry
 * credentials. @see RFC 4954, RFC 4616, RFC 2195
 */
export async function authenticate(io: SmtpIo, auth: SmtpAuth): Promise<void> {
  const offered = new Set((io.extensions.get('AUTH') ?? '').toUpperCase().split(/\s+/));
  const b64 = (s: string): string => Buffer.from(s, 'utf8').toString('base64');
  const check = (reply: SmtpReply, label: string): void => {
    if (reply.code !== 235) throw io.replyError(reply, label, ERROR_CODES.AUTH_FAILED);
  };
  if ('accessToken' in auth) {
    if (!offered.has('XOAUTH2')) throw noMechanism('XOAUTH2', offered);
    let reply = await io.command(
      `AUTH XOAUTH2 ${b64(`user=${auth.user}\x01auth=Bearer ${auth.accessToken}\x01\x01`)}`,
      'AUTH XOAUTH2',
    );
    // On failure the server sends a 334 with a JSON error and waits for an empty line.
    if (reply.code === 334) reply = await io.command('', 'AUTH XOAUTH2');
    return check(reply, 'AUTH XOAUTH2');
  }
  const method =
    auth.method ?? (['PLAIN', 'LOGIN', 'CRAM-MD5'] as const).find((m) => offered.has(m));
  if (method === undefined || !offered.has(method))
    throw noMechanism(method ?? 'PLAIN, LOGIN or CRAM-MD5', offered);
  if (method === 'PLAIN') {
    return check(
      await io.command(`AUTH PLAIN ${b64(`\0${auth.user}\0${auth.pass}`)}`, 'AUTH PLAIN'),
      'AUTH PLAIN',
    );
  }
  if (method === 'LOGIN') {
    let reply = await io.command('AUTH LOGIN', 'AUTH LOGIN');
    if (reply.code !== 334) return check(reply, 'AUTH LOGIN');
    reply = await io.command(b64(auth.user), 'AUTH LOGIN');
    if (reply.code !== 334) return check(reply, 'AUTH LOGIN');
    return check(await io.command(b64(auth.pass), 'AUTH LOGIN'), 'AUTH LOGIN');
  }
  const reply = await io.command('AUTH CRAM-MD5', 'AUTH CRAM-MD5');
  if (reply.code !== 334) return check(reply, 'AUTH CRAM-MD5');
  const challenge = Buffer.from(reply.lines[0] ?? '', 'base64').toString('utf8');
  const digest = createHmac('md5', auth.pass).update(challenge).digest('hex');
  return check(await io.command(b64(`${auth.user} ${digest}`), 'AUTH CRAM-MD5'), 'AUTH CRAM-MD5');
}
