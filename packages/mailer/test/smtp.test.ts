import { type AddressInfo, createServer, type Socket } from 'node:net';
import { createTestCertificates, type TestCertificates } from '@rws/test-helpers';
import { simpleParser } from 'mailparser';
import { afterAll, beforeAll, describe, expect, onTestFinished, test } from 'vitest';
import { createMailer, ERROR_CODES, type MailerOptions } from '../src/index.js';
import { rawServer } from './raw-smtp-server.js';
import { rejection } from './rejection.js';
import { startPeer } from './smtp-peer.js';

let certs: TestCertificates;
beforeAll(() => {
  certs = createTestCertificates();
});
afterAll(() => certs.cleanup());

const MSG = {
  from: 'Ada <ada@example.com>',
  to: 'bob@example.org',
  subject: 'Hi',
  text: 'Hello Bob',
};

function mailer(options: MailerOptions): ReturnType<typeof createMailer> {
  const m = createMailer({ retries: 0, ...options });
  onTestFinished(() => m.close());
  return m;
}

describe('plain SMTP', () => {
  test('delivers a message; the server sees envelope and headers', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const m = mailer({ host: '127.0.0.1', port: peer.port, secure: 'none' });
    const info = await m.send({ ...MSG, cc: 'carol@example.net', bcc: 'dave@example.com' });
    expect(info.accepted).toEqual(['bob@example.org', 'carol@example.net', 'dave@example.com']);
    expect(info.response).toMatch(/^250 .*queued as 1/);
    expect(peer.received).toHaveLength(1);
    const got = peer.received[0];
    expect(got?.from).toBe('ada@example.com');
    expect(got?.to).toEqual(['bob@example.org', 'carol@example.net', 'dave@example.com']);
    const parsed = await simpleParser(got?.raw as Buffer);
    expect(parsed.subject).toBe('Hi');
    expect(parsed.text?.trim()).toBe('Hello Bob');
    expect(parsed.messageId).toBe(info.messageId);
    // Bcc is envelope only.
    expect(got?.raw.toString()).not.toMatch(/dave/);
  });

  test('dot-stuffing: lines starting with "." arrive intact', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const m = mailer({ host: '127.0.0.1', port: peer.port, secure: 'none' });
    const text = '.\r\n..two\r\n.end\r\nmiddle . dot\r\n.';
    await m.send({ ...MSG, text });
    const parsed = await simpleParser(peer.received[0]?.raw as Buffer);
    expect(parsed.text?.replace(/\n$/, '')).toBe(text.replace(/\r\n/g, '\n'));
  });

  test("secure: 'starttls' (the default) refuses a server without STARTTLS", async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const m = mailer({ host: '127.0.0.1', port: peer.port });
    const err = await rejection(m.send(MSG));
    expect(err.code).toBe(ERROR_CODES.TLS_REQUIRED);
    expect(peer.received).toHaveLength(0);
  });

  test('credentials are not sent over plain text unless allowed', async () => {
    const peer = await startPeer({
      disabledCommands: ['STARTTLS'],
      allowInsecureAuth: true,
      onAuth(auth, _s, cb) {
        cb(null, { user: auth.username });
      },
    });
    const m = mailer({
      host: '127.0.0.1',
      port: peer.port,
      secure: 'none',
      auth: { user: 'u', pass: 'secret-pw' },
    });
    const err = await rejection(m.send(MSG));
    expect(err.code).toBe(ERROR_CODES.TLS_REQUIRED);
    expect(err.message).not.toContain('secret-pw');
    const ok = mailer({
      host: '127.0.0.1',
      port: peer.port,
      secure: 'none',
      allowPlainTextAuth: true,
      auth: { user: 'u', pass: 'secret-pw' },
    });
    await ok.send(MSG);
    expect(peer.received[0]?.user).toBe('u');
  });

  test('a 5xx RCPT rejection is a permanent error with the SMTP code and text', async () => {
    const peer = await startPeer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      onRcptTo(addr, _s, cb) {
        if (addr.address.startsWith('nobody'))
          cb(Object.assign(new Error('No such user here'), { responseCode: 550 }));
        else cb();
      },
    });
    const m = mailer({ host: '127.0.0.1', port: peer.port, secure: 'none' });
    const err = await rejection(m.send({ ...MSG, to: 'nobody@example.org' }));
    expect(err.code).toBe(ERROR_CODES.REJECTED);
    expect(err.smtpCode).toBe(550);
    expect(err.smtpText).toContain('No such user here');
    expect(err.rejected).toEqual(['nobody@example.org']);
    expect(err.isTransient).toBe(false);
    // One bad recipient among good ones: delivered to the others, reported.
    const info = await m.send({ ...MSG, to: ['nobody@example.org', 'bob@example.org'] });
    expect(info.rejected).toEqual(['nobody@example.org']);
    expect(info.accepted).toEqual(['bob@example.org']);
    expect(peer.received.at(-1)?.to).toEqual(['bob@example.org']);
  });

  test('SMTPUTF8: a non-ASCII local part is sent with SMTPUTF8; Unicode domains go out as IDNA', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const m = mailer({ host: '127.0.0.1', port: peer.port, secure: 'none' });
    const info = await m.send({ ...MSG, to: ['josé@example.org', 'bob@bücher.example'] });
    expect(info.accepted).toEqual(['josé@example.org', 'bob@xn--bcher-kva.example']);
    // smtp-server turns A-labels back into Unicode, so its view is the Unicode form.
    expect(peer.received[0]?.to).toEqual(['josé@example.org', 'bob@bücher.example']);
    const parsed = await simpleParser(peer.received[0]?.raw as Buffer);
    const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
    expect(to?.value.map((v) => v.address)).toEqual(['josé@example.org', 'bob@bücher.example']);
  });

  test('SIZE: a message over the advertised limit is refused', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'], size: 2000 });
    const m = mailer({ host: '127.0.0.1', port: peer.port, secure: 'none' });
    const err = await rejection(
      m.send({ ...MSG, attachments: [{ filename: 'big.bin', content: Buffer.alloc(10_000, 7) }] }),
    );
    expect(err.code).toBe(ERROR_CODES.MESSAGE_TOO_LARGE);
    expect(peer.received).toHaveLength(0);
  });

  test('4xx is retried, then reported as a temporary failure', async () => {
    let calls = 0;
    const peer = await startPeer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      onMailFrom(_a, _s, cb) {
        calls++;
        if (calls <= 1) cb(Object.assign(new Error('Try again later'), { responseCode: 451 }));
        else cb();
      },
    });
    const m = mailer({
      host: '127.0.0.1',
      port: peer.port,
      secure: 'none',
      retries: 1,
      retryDelayMs: 10,
    });
    await m.send(MSG);
    expect(calls).toBe(2);
    expect(peer.received).toHaveLength(1);
    const never = await startPeer({
      disabledCommands: ['STARTTLS', 'AUTH'],
      onMailFrom(_a, _s, cb) {
        cb(Object.assign(new Error('Greylisted'), { responseCode: 451 }));
      },
    });
    const m2 = mailer({
      host: '127.0.0.1',
      port: never.port,
      secure: 'none',
      retries: 1,
      retryDelayMs: 10,
    });
    const err = await rejection(m2.send(MSG));
    expect(err.code).toBe(ERROR_CODES.TEMPORARY_FAILURE);
    expect(err.smtpCode).toBe(451);
    expect(err.smtpText).toContain('Greylisted');
  });
});

describe('TLS', () => {
  test('STARTTLS upgrades, then AUTH PLAIN; the server sees a secure session', async () => {
    const peer = await startPeer({
      key: certs.server.key,
      cert: certs.server.cert,
      authMethods: ['PLAIN'],
      onAuth(auth, session, cb) {
        if (!session.secure) return cb(new Error('not over TLS'));
        if (auth.username === 'ada' && auth.password === 'pw') cb(null, { user: 'ada' });
        else cb(new Error('Invalid username or password'));
      },
    });
    const m = mailer({
      host: 'localhost',
      port: peer.port,
      tls: { ca: certs.ca.cert },
      auth: { user: 'ada', pass: 'pw' },
    });
    await m.send(MSG);
    expect(peer.received[0]?.secure).toBe(true);
    expect(peer.received[0]?.user).toBe('ada');
  });

  test('STARTTLS with an untrusted certificate fails (no silent fallback to plain text)', async () => {
    const peer = await startPeer({ key: certs.server.key, cert: certs.server.cert });
    const m = mailer({ host: 'localhost', port: peer.port });
    const err = await rejection(m.send(MSG));
    expect(err.code).toBe(ERROR_CODES.CONNECTION_FAILED);
    expect(err.message).toMatch(/STARTTLS/);
    expect(peer.received).toHaveLength(0);
  });

  test('SMTPS (implicit TLS) with AUTH LOGIN', async () => {
    const peer = await startPeer({
      secure: true,
      key: certs.server.key,
      cert: certs.server.cert,
      authMethods: ['LOGIN'],
      onAuth(auth, _s, cb) {
        if (auth.username === 'ada' && auth.password === 'pw') cb(null, { user: 'ada' });
        else cb(new Error('Invalid username or password'));
      },
    });
    const m = mailer({
      host: 'localhost',
      port: peer.port,
      secure: 'smtps',
      tls: { ca: certs.ca.cert },
      auth: { user: 'ada', pass: 'pw' },
    });
    await m.send(MSG);
    expect(peer.received[0]).toMatchObject({ secure: true, user: 'ada' });
  });

  for (const method of ['PLAIN', 'LOGIN', 'CRAM-MD5'] as const) {
    test(`AUTH ${method}: wrong password is RWS_MAILER_AUTH_FAILED with the code, never the password`, async () => {
      const peer = await startPeer({
        key: certs.server.key,
        cert: certs.server.cert,
        authMethods: [method],
        onAuth(auth, _s, cb) {
          const ok =
            method === 'CRAM-MD5'
              ? auth.validatePassword?.('right-pw')
              : auth.password === 'right-pw';
          if (ok && auth.username === 'ada') cb(null, { user: 'ada' });
          else cb(new Error('Invalid username or password'));
        },
      });
      const base = { host: 'localhost', port: peer.port, tls: { ca: certs.ca.cert } };
      const bad = mailer({ ...base, auth: { user: 'ada', pass: 'wrong-pw' } });
      const err = await rejection(bad.send(MSG));
      expect(err.code).toBe(ERROR_CODES.AUTH_FAILED);
      expect(err.smtpCode).toBe(535);
      expect(err.message).not.toContain('wrong-pw');
      expect(JSON.stringify(err)).not.toContain('wrong-pw');
      const good = mailer({ ...base, auth: { user: 'ada', pass: 'right-pw' } });
      await good.send(MSG);
      expect(peer.received[0]?.user).toBe('ada');
    });
  }

  test('AUTH XOAUTH2 with an access token', async () => {
    const peer = await startPeer({
      key: certs.server.key,
      cert: certs.server.cert,
      authMethods: ['XOAUTH2'],
      onAuth(auth, _s, cb) {
        if (auth.accessToken === 'tok-1') cb(null, { user: auth.username });
        else cb(null, { data: { status: '401', schemes: 'bearer' } });
      },
    });
    const base = { host: 'localhost', port: peer.port, tls: { ca: certs.ca.cert } };
    await mailer({ ...base, auth: { user: 'ada', accessToken: 'tok-1' } }).send(MSG);
    expect(peer.received[0]?.user).toBe('ada');
    const err = await rejection(
      mailer({ ...base, auth: { user: 'ada', accessToken: 'bad' } }).send(MSG),
    );
    expect(err.code).toBe(ERROR_CODES.AUTH_FAILED);
  });
});

test('verify() checks the settings; a missing attachment file is RWS_MAILER_INVALID_MESSAGE', async () => {
  const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
  const m = mailer({ host: '127.0.0.1', port: peer.port, secure: 'none' });
  await m.verify();
  expect((await rejection(mailer({ host: '127.0.0.1', port: peer.port }).verify())).code).toBe(
    ERROR_CODES.TLS_REQUIRED,
  );
  const err = await rejection(
    m.send({ ...MSG, attachments: [{ path: '/nonexistent/rws-mailer-missing.pdf' }] }),
  );
  expect(err.code).toBe(ERROR_CODES.INVALID_MESSAGE);
  expect(err.message).toContain('rws-mailer-missing.pdf');
  expect(peer.received).toHaveLength(0);
  // The broken DATA closed that connection; the next message goes through.
  await m.send(MSG);
  expect(peer.received).toHaveLength(1);
});

describe('pool', () => {
  test('at most maxConnections at once, maxMessagesPerConnection each, connections reused', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const m = mailer({
      host: '127.0.0.1',
      port: peer.port,
      secure: 'none',
      pool: { maxConnections: 2, maxMessagesPerConnection: 3 },
    });
    await Promise.all(Array.from({ length: 12 }, (_, i) => m.send({ ...MSG, subject: `n${i}` })));
    expect(peer.received).toHaveLength(12);
    const perSession = new Map<string, number>();
    for (const r of peer.received)
      perSession.set(r.sessionId, (perSession.get(r.sessionId) ?? 0) + 1);
    for (const n of perSession.values()) expect(n).toBeLessThanOrEqual(3);
    // A connection closes only after 3 messages: 4 full ones, or 3 and two still open at the end
    // that share the last 3 (which one a waiting send gets depends on timing).
    expect(peer.connections()).toBeGreaterThanOrEqual(4);
    expect(peer.connections()).toBeLessThanOrEqual(5);
    expect(m.openConnections).toBeLessThanOrEqual(2);
    const subjects = await Promise.all(
      peer.received.map(async (r) => (await simpleParser(r.raw)).subject),
    );
    expect(subjects.sort()).toEqual(Array.from({ length: 12 }, (_, i) => `n${i}`).sort());
  });

  test('a pooled connection the server dropped is replaced transparently', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'], socketTimeout: 200 });
    const m = mailer({
      host: '127.0.0.1',
      port: peer.port,
      secure: 'none',
      pool: { maxConnections: 1 },
    });
    await m.send(MSG);
    await new Promise((r) => setTimeout(r, 500));
    await m.send(MSG);
    expect(peer.received).toHaveLength(2);
    expect(peer.connections()).toBe(2);
  });

  test('rateLimit: at most maxMessages start per window', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const m = mailer({
      host: '127.0.0.1',
      port: peer.port,
      secure: 'none',
      pool: { maxConnections: 5 },
      rateLimit: { maxMessages: 2, perMs: 300 },
    });
    const start = Date.now();
    await Promise.all(Array.from({ length: 5 }, () => m.send(MSG)));
    // Windows start at 0, 300 and 600 ms: two, two, one.
    expect(Date.now() - start).toBeGreaterThanOrEqual(590);
    expect(peer.received).toHaveLength(5);
  });

  test('close() refuses further sends', async () => {
    const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
    const m = mailer({ host: '127.0.0.1', port: peer.port, secure: 'none', pool: true });
    await m.send(MSG);
    await m.close();
    expect(m.openConnections).toBe(0);
    expect((await rejection(m.send(MSG))).code).toBe(ERROR_CODES.CLOSED);
  });
});

describe('scripted servers (raw sockets)', () => {
  test('HELO fallback, multi-line replies, no PIPELINING: one command at a time', async () => {
    const { port, lines } = await rawServer(
      '220-first line\r\n220 old server ready\r\n',
      (s, line) => {
        if (line.startsWith('EHLO')) s.write('502 5.5.1 EHLO not implemented\r\n');
        else if (line.startsWith('HELO')) s.write('250 hello\r\n');
        else if (line.startsWith('MAIL')) s.write('250 ok\r\n');
        else if (line.startsWith('RCPT')) s.write('250-ok\r\n250 really ok\r\n');
        else if (line === 'DATA') s.write('354 go\r\n');
        else if (line === '.') s.write('250 queued\r\n');
        else if (line === 'QUIT') s.end('221 bye\r\n');
      },
    );
    const m = mailer({ host: '127.0.0.1', port, secure: 'none' });
    const info = await m.send({ ...MSG, to: ['a@example.org', 'b@example.org'] });
    expect(info.accepted).toEqual(['a@example.org', 'b@example.org']);
    expect(info.response).toBe('250 queued');
    expect(lines.slice(0, 6)).toEqual([
      'EHLO localhost',
      'HELO localhost',
      'MAIL FROM:<ada@example.com>',
      'RCPT TO:<a@example.org>',
      'RCPT TO:<b@example.org>',
      'DATA',
    ]);
  });

  test('PIPELINING: MAIL, RCPT and DATA go in one write when advertised', async () => {
    const chunks: string[] = [];
    const { port } = await rawServer('220 hi\r\n', (s, line) => {
      if (line.startsWith('EHLO')) s.write('250-hi\r\n250-PIPELINING\r\n250 8BITMIME\r\n');
      else if (line.startsWith('MAIL')) chunks.push(line);
      else if (line.startsWith('RCPT')) chunks.push(line);
      else if (line === 'DATA') s.write('250 ok\r\n250 ok\r\n354 go\r\n');
      else if (line === '.') s.write('250 queued\r\n');
      else if (line === 'QUIT') s.end('221 bye\r\n');
    });
    const m = mailer({ host: '127.0.0.1', port, secure: 'none', commandTimeoutMs: 1000 });
    // The server answers MAIL and RCPT only once DATA arrived: without pipelining this times out.
    await m.send(MSG);
    expect(chunks).toEqual(['MAIL FROM:<ada@example.com>', 'RCPT TO:<bob@example.org>']);
  });

  test('a server that drops the connection mid-conversation: RWS_MAILER_CONNECTION_FAILED', async () => {
    const { port } = await rawServer('220 hi\r\n', (s, line) => {
      if (line.startsWith('EHLO')) s.write('250 hi\r\n');
      else if (line.startsWith('MAIL')) s.destroy();
    });
    const m = mailer({ host: '127.0.0.1', port, secure: 'none' });
    const err = await rejection(m.send(MSG));
    expect(err.code).toBe(ERROR_CODES.CONNECTION_FAILED);
    expect(err.isTransient).toBe(true);
  });

  test('greeting and command timeouts name the step', async () => {
    const silent = await rawServer(null, () => undefined);
    const m = mailer({
      host: '127.0.0.1',
      port: silent.port,
      secure: 'none',
      greetingTimeoutMs: 150,
    });
    const err = await rejection(m.send(MSG));
    expect(err.code).toBe(ERROR_CODES.TIMEOUT);
    expect(err.message).toContain('greeting');
    const mute = await rawServer('220 hi\r\n', (s, line) => {
      if (line.startsWith('EHLO')) s.write('250 hi\r\n');
    });
    const m2 = mailer({
      host: '127.0.0.1',
      port: mute.port,
      secure: 'none',
      commandTimeoutMs: 150,
    });
    const err2 = await rejection(m2.send(MSG));
    expect(err2.code).toBe(ERROR_CODES.TIMEOUT);
    expect(err2.message).toContain('MAIL FROM');
  });

  test('SMTPUTF8 goes on MAIL FROM when offered; without it a UTF-8 local part is refused', async () => {
    const script =
      (ext: string) =>
      (s: Socket, line: string): void => {
        if (line.startsWith('EHLO')) s.write(`250-hi\r\n250 ${ext}\r\n`);
        else if (line.startsWith('MAIL') || line.startsWith('RCPT')) s.write('250 ok\r\n');
        else if (line === 'DATA') s.write('354 go\r\n');
        else if (line === '.') s.write('250 queued\r\n');
      };
    const withUtf8 = await rawServer('220 hi\r\n', script('SMTPUTF8'));
    await mailer({ host: '127.0.0.1', port: withUtf8.port, secure: 'none' }).send({
      ...MSG,
      to: 'josé@example.org',
    });
    expect(withUtf8.lines).toContain('MAIL FROM:<ada@example.com> SMTPUTF8');
    const without = await rawServer('220 hi\r\n', script('8BITMIME'));
    const err = await rejection(
      mailer({ host: '127.0.0.1', port: without.port, secure: 'none' }).send({
        ...MSG,
        to: 'josé@example.org',
      }),
    );
    expect(err.code).toBe(ERROR_CODES.INVALID_MESSAGE);
    expect(without.lines.some((l) => l.startsWith('MAIL'))).toBe(false);
  });

  test('STARTTLS response injection: clear-text bytes after the 220 are refused', async () => {
    const { port } = await rawServer('220 hi\r\n', (s, line) => {
      if (line.startsWith('EHLO')) s.write('250-hi\r\n250 STARTTLS\r\n');
      else if (line === 'STARTTLS') s.write('220 go ahead\r\n250 injected\r\n');
    });
    const err = await rejection(mailer({ host: 'localhost', port }).send(MSG));
    expect(err.code).toBe(ERROR_CODES.PROTOCOL);
    expect(err.message).toContain('after its STARTTLS reply');
  });

  test('a malformed reply is a protocol error', async () => {
    const { port } = await rawServer('220 hi\r\n', (s) => {
      s.write('hello there\r\n');
    });
    const err = await rejection(mailer({ host: '127.0.0.1', port, secure: 'none' }).send(MSG));
    expect(err.code).toBe(ERROR_CODES.PROTOCOL);
  });

  test('connection refused: RWS_MAILER_CONNECTION_FAILED naming host and port', async () => {
    const { port } = await rawServer('220 hi\r\n', () => undefined);
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const closedPort = (probe.address() as AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    expect(port).not.toBe(closedPort);
    const err = await rejection(
      mailer({ host: '127.0.0.1', port: closedPort, secure: 'none' }).send(MSG),
    );
    expect(err.code).toBe(ERROR_CODES.CONNECTION_FAILED);
    expect(err.message).toContain(`127.0.0.1:${closedPort}`);
  });
});
