/**
 * CHUNKING / BDAT (RFC 3030) and BINARYMIME against a BDAT-speaking test server (smtp-server
 * has no BDAT; postfix.test.ts covers BDAT against a real MTA).
 */
import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { simpleParser } from 'mailparser';
import { describe, expect, onTestFinished, test } from 'vitest';
import { createMailer, ERROR_CODES, type MailerOptions, SmtpConnection } from '../src/index.js';
import { startBdatPeer } from './bdat-peer.js';
import { rejection } from './rejection.js';

function mailer(port: number, options: Partial<MailerOptions> = {}) {
  const m = createMailer({ host: '127.0.0.1', port, secure: 'none', retries: 0, ...options });
  onTestFinished(() => m.close());
  return m;
}

const TEXT = '.leading dot\r\n..two dots\r\nend';

/** The attachment as a stream of 48 KiB pieces, so the body comes in many parts. */
async function* pieces(data: Buffer): AsyncIterable<Uint8Array> {
  for (let i = 0; i < data.length; i += 48 * 1024) yield data.subarray(i, i + 48 * 1024);
}

function message(attachment: Buffer, streamed = false) {
  return {
    from: 'ada@example.com',
    to: 'bob@example.org',
    subject: 'chunks',
    text: TEXT,
    attachments: [{ filename: 'data.bin', content: streamed ? pieces(attachment) : attachment }],
  };
}

describe('BDAT with PIPELINING', () => {
  test('chunks are pipelined (the server answers only after LAST) and arrive whole, not dot-stuffed', async () => {
    const peer = await startBdatPeer({ holdReplies: true });
    const data = randomBytes(300 * 1024);
    const info = await mailer(peer.port).send(message(data, true));
    expect(info.response).toBe('250 2.0.0 queued as 1');
    expect(peer.commands.some((c) => c.startsWith('DATA'))).toBe(false);
    expect(peer.chunks.length).toBeGreaterThan(2);
    expect(peer.chunks.map((c) => c.last)).toEqual(
      peer.chunks.map((_, i) => i === peer.chunks.length - 1),
    );
    const raw = peer.messages[0]?.raw as Buffer;
    expect(peer.chunks.reduce((n, c) => n + c.size, 0)).toBe(raw.length);
    expect(raw.toString()).toContain('\r\n.leading dot\r\n..two dots\r\n');
    const parsed = await simpleParser(raw);
    expect(parsed.text?.replace(/\n$/, '')).toBe(TEXT.replace(/\r\n/g, '\n'));
    expect(parsed.attachments[0]?.content.equals(data)).toBe(true);
  });

  test('a refused chunk stops the stream: no LAST, RSET, RWS_MAILER_REJECTED naming BDAT', async () => {
    const peer = await startBdatPeer({ refuseChunk: 1, pauseAfterRefusalMs: 300 });
    const m = mailer(peer.port);
    const err = await rejection(m.send(message(randomBytes(8 * 1024 * 1024), true)));
    expect(err.code).toBe(ERROR_CODES.REJECTED);
    expect(err.command).toBe('BDAT');
    expect(err.smtpCode).toBe(552);
    // ~11 MB of base64 is ~170 chunks; the client stops long before.
    expect(peer.chunks.length).toBeLessThan(100);
    expect(peer.chunks.some((c) => c.last)).toBe(false);
    expect(peer.commands.at(-1)).toMatch(/^(RSET|QUIT)$/);
    expect(peer.commands).toContain('RSET');
    expect(peer.messages).toHaveLength(0);
  });
});

describe('BDAT without PIPELINING', () => {
  test('each chunk waits for its reply; a refusal at chunk 2 sends no chunk 3', async () => {
    const peer = await startBdatPeer({ extensions: ['CHUNKING'], refuseChunk: 2 });
    const err = await rejection(mailer(peer.port).send(message(randomBytes(400 * 1024))));
    expect(err.code).toBe(ERROR_CODES.REJECTED);
    expect(peer.chunks).toHaveLength(2);
    expect(peer.commands.filter((c) => c.startsWith('BDAT'))).toHaveLength(2);
    expect(peer.commands).toContain('RSET');
  });

  test('delivers a message', async () => {
    const peer = await startBdatPeer({ extensions: ['CHUNKING'] });
    await mailer(peer.port).send(message(Buffer.from('small')));
    expect(peer.chunks).toEqual([{ size: peer.messages[0]?.raw.length, last: true }]);
  });
});

test('chunking: false uses DATA although the server offers CHUNKING', async () => {
  const peer = await startBdatPeer();
  const err = await rejection(
    mailer(peer.port, { chunking: false }).send(message(Buffer.from('x'))),
  );
  // The test server implements no DATA: the refusal proves DATA was what the client sent.
  expect(err.command).toBe('DATA');
  expect(peer.chunks).toHaveLength(0);
});

test('SIZE: an oversized message is stopped before any chunk and the transaction reset', async () => {
  const peer = await startBdatPeer({ extensions: ['PIPELINING', 'CHUNKING', 'SIZE 2000'] });
  const err = await rejection(mailer(peer.port).send(message(randomBytes(10_000))));
  expect(err.code).toBe(ERROR_CODES.MESSAGE_TOO_LARGE);
  expect(peer.chunks).toHaveLength(0);
  expect(peer.commands).toContain('RSET');
});

describe('BINARYMIME', () => {
  const binary = Buffer.concat([
    Buffer.from('Content-Type: application/octet-stream\r\n\r\n'),
    Buffer.from([0, 1, 2, 0x0a, 0x0d, 0x2e, 0xff, 0xfe, 0x0a, 0x2e, 0x0d, 0x0a]),
    randomBytes(100_000),
  ]);

  async function* content(): AsyncIterable<Uint8Array> {
    yield binary;
  }

  async function connection(port: number): Promise<SmtpConnection> {
    const conn = new SmtpConnection({ host: '127.0.0.1', port, secure: 'none' });
    onTestFinished(() => conn.quit());
    await conn.open();
    return conn;
  }

  test('BODY=BINARYMIME over BDAT; the bytes arrive exactly', async () => {
    const peer = await startBdatPeer();
    const conn = await connection(peer.port);
    const result = await conn.send(
      { from: 'ada@example.com', to: ['bob@example.org'] },
      content(),
      { binaryMime: true },
    );
    expect(result.accepted).toEqual(['bob@example.org']);
    expect(peer.commands[1]).toBe('MAIL FROM:<ada@example.com> BODY=BINARYMIME');
    expect(peer.messages[0]?.raw.equals(binary)).toBe(true);
  });

  test('without BINARYMIME advertised: RWS_MAILER_UNSUPPORTED_EXTENSION and no MAIL FROM', async () => {
    const peer = await startBdatPeer({ extensions: ['PIPELINING', 'CHUNKING'] });
    const conn = await connection(peer.port);
    const err = await rejection(
      conn.send({ from: 'ada@example.com', to: ['bob@example.org'] }, content(), {
        binaryMime: true,
      }),
    );
    expect(err.code).toBe(ERROR_CODES.UNSUPPORTED_EXTENSION);
    expect(peer.commands.some((c) => c.startsWith('MAIL'))).toBe(false);
  });
});

test('a pooled connection goes straight to the next MAIL FROM after a completed BDAT LAST', async () => {
  const peer = await startBdatPeer();
  const m = mailer(peer.port, { pool: { maxConnections: 1 } });
  for (let i = 0; i < 3; i++) await m.send(message(Buffer.from(`n${i}`)));
  expect(peer.messages).toHaveLength(3);
  expect(peer.commands.filter((c) => c.startsWith('EHLO'))).toHaveLength(1);
  expect(peer.commands).not.toContain('RSET');
});

describe('Mailer binaryMime', () => {
  const data = Buffer.concat([Buffer.from('\r\n.\r\n\0--x\r\n'), randomBytes(50_000)]);

  test('attachments go unencoded with BODY=BINARYMIME and parse back exactly', async () => {
    const peer = await startBdatPeer();
    const m = mailer(peer.port, { binaryMime: true });
    await m.send(message(data));
    await m.send({
      from: 'ada@example.com',
      to: 'bob@example.org',
      attachments: [{ content: data }],
    });
    expect(peer.messages).toHaveLength(2);
    for (const got of peer.messages) {
      expect(got.mail).toBe('MAIL FROM:<ada@example.com> BODY=BINARYMIME');
      expect(got.raw.toString('latin1')).toContain('Content-Transfer-Encoding: binary');
      expect(got.raw.includes(data)).toBe(true);
      const parsed = await simpleParser(got.raw);
      expect(parsed.attachments[0]?.content.equals(data)).toBe(true);
    }
    expect((await simpleParser(peer.messages[0]?.raw as Buffer)).text?.replace(/\n$/, '')).toBe(
      TEXT.replace(/\r\n/g, '\n'),
    );
  });

  test('a server without BINARYMIME gets base64 and no BODY parameter', async () => {
    const peer = await startBdatPeer({ extensions: ['PIPELINING', 'CHUNKING'] });
    await mailer(peer.port, { binaryMime: true }).send(message(data));
    const got = peer.messages[0];
    expect(got?.mail).toBe('MAIL FROM:<ada@example.com>');
    expect(got?.raw.toString()).toContain('Content-Transfer-Encoding: base64');
    expect((await simpleParser(got?.raw as Buffer)).attachments[0]?.content.equals(data)).toBe(
      true,
    );
  });

  test('with dkim the message stays base64 (signed bytes must survive conversion)', async () => {
    const peer = await startBdatPeer();
    const { privateKey } = generateKeyPairSync('ed25519');
    const dkim = { domainName: 'example.com', keySelector: 's', privateKey };
    await mailer(peer.port, { binaryMime: true, dkim }).send(message(data));
    expect(peer.messages[0]?.mail).toBe('MAIL FROM:<ada@example.com>');
    expect(peer.messages[0]?.raw.toString()).toContain('Content-Transfer-Encoding: base64');
  });
});
