import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { isRwsError } from '@rws/core';
import { simpleParser } from 'mailparser';
import { expect, onTestFinished, test } from 'vitest';
import { createTestMailer, ERROR_CODES, type MailMessage } from '../src/index.js';

async function roundTrip(
  message: MailMessage,
): Promise<{ raw: string; parsed: Awaited<ReturnType<typeof simpleParser>> }> {
  const t = createTestMailer();
  await t.send(message);
  const raw = t.messages[0]?.raw as string;
  return { raw, parsed: await simpleParser(raw) };
}

function lines(raw: string): string[] {
  return raw.split('\r\n');
}

test('text + HTML: multipart/alternative, both parts back intact, CRLF everywhere', async () => {
  const { raw, parsed } = await roundTrip({
    from: 'ada@example.com',
    to: 'bob@example.org',
    subject: 'Alt',
    text: 'plain\nline 2',
    html: '<p>html</p>',
  });
  expect(raw).toMatch(/Content-Type: multipart\/alternative;\r\n boundary=/);
  expect(raw.replace(/\r\n/g, '')).not.toMatch(/[\r\n]/);
  expect(parsed.text?.trim()).toBe('plain\nline 2');
  expect(parsed.html).toContain('<p>html</p>');
  expect(parsed.headers.get('mime-version')).toBe('1.0');
  expect(parsed.date).toBeInstanceOf(Date);
  expect(parsed.messageId).toMatch(/^<[0-9a-f]{32}@example\.com>$/);
});

test('UTF-8 subject, display names and custom headers are RFC 2047 encoded, lines ≤ 78', async () => {
  const subject = 'Grüße aus Köln — 你好，世界 🎉 '.repeat(4).trim();
  const { raw, parsed } = await roundTrip({
    from: 'Zoë Ærøskøbing <zoe@example.com>',
    to: [{ name: 'Renée, "the" Boss', address: 'renee@example.org' }, 'plain@example.org'],
    subject,
    headers: { 'X-Note': 'naïve café' },
    text: 'Ünïcödé body ✓',
  });
  const head = raw.slice(0, raw.indexOf('\r\n\r\n'));
  expect(head).toMatch(/^[\x00-\x7f]*$/);
  for (const l of lines(head)) expect(l.length).toBeLessThanOrEqual(78);
  expect(head).toContain('=?UTF-8?B?');
  expect(parsed.subject).toBe(subject);
  expect(parsed.from?.value).toEqual([{ name: 'Zoë Ærøskøbing', address: 'zoe@example.com' }]);
  const to = Array.isArray(parsed.to) ? parsed.to[0] : parsed.to;
  expect(to?.value).toEqual([
    { name: 'Renée, "the" Boss', address: 'renee@example.org' },
    { name: '', address: 'plain@example.org' },
  ]);
  // mailparser leaves unknown fields encoded; decode the B words by hand (RFC 2047 §4.1).
  const note = String(parsed.headers.get('x-note'));
  expect(note).toMatch(/^=\?UTF-8\?B\?[A-Za-z0-9+/=]+\?=$/);
  expect(Buffer.from(note.slice(10, -2), 'base64').toString('utf8')).toBe('naïve café');
  expect(parsed.text?.trim()).toBe('Ünïcödé body ✓');
  expect(raw).toContain('Content-Transfer-Encoding: quoted-printable');
});

test('attachments: buffer, stream and file, base64 in 76-char lines; inline image by cid', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'rws-mailer-'));
  onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
  const file = join(dir, 'report.pdf');
  const pdf = Buffer.alloc(5000, 0x25);
  writeFileSync(file, pdf);
  const big = Buffer.from(Array.from({ length: 100_003 }, (_, i) => (i * 31) & 0xff));
  const png = Buffer.from('89504e470d0a1a0a0000', 'hex');
  const { raw, parsed } = await roundTrip({
    from: 'ada@example.com',
    to: 'bob@example.org',
    text: 'see attached',
    html: '<img src="cid:logo@rws">',
    attachments: [
      { filename: 'data.bin', content: big },
      // A stream cut into odd-sized chunks, so base64 lines must carry bytes across chunks.
      {
        filename: 'stream.bin',
        content: Readable.from([big.subarray(0, 7), big.subarray(7, 1000), big.subarray(1000)]),
      },
      { path: file },
      { filename: 'logo.png', content: png, cid: 'logo@rws' },
      { filename: 'résumé.txt', content: 'accents' },
    ],
  });
  expect(raw).toMatch(/multipart\/mixed/);
  expect(raw).toMatch(/multipart\/related/);
  for (const l of lines(raw)) expect(l.length).toBeLessThanOrEqual(78);
  const byName = new Map(parsed.attachments.map((a) => [a.filename, a]));
  expect(byName.get('data.bin')?.content.equals(big)).toBe(true);
  expect(byName.get('stream.bin')?.content.equals(big)).toBe(true);
  expect(byName.get('report.pdf')?.content.equals(pdf)).toBe(true);
  expect(byName.get('report.pdf')?.contentType).toBe('application/pdf');
  expect(byName.get('résumé.txt')?.content.toString()).toBe('accents');
  const logo = byName.get('logo.png');
  expect(logo?.contentId).toBe('<logo@rws>');
  expect(logo?.contentDisposition).toBe('inline');
  expect(logo?.related).toBe(true);
  expect(logo?.content.equals(png)).toBe(true);
  expect(parsed.text?.trim()).toBe('see attached');
});

test('header injection is impossible: CR or LF in any header value is refused', async () => {
  const t = createTestMailer();
  const base = { from: 'ada@example.com', to: 'bob@example.org', text: 'x' };
  const cases: MailMessage[] = [
    { ...base, subject: 'hi\r\nBcc: victim@example.com' },
    { ...base, subject: 'hi\nBcc: victim@example.com' },
    { ...base, headers: { 'X-A': 'v\r\nBcc: victim@example.com' } },
    { ...base, headers: { 'X-A\r\nBcc': 'v' } },
    { ...base, headers: { Bcc: 'victim@example.com' } },
    { ...base, messageId: '<a@b>\r\nBcc: victim@example.com' },
    { ...base, attachments: [{ filename: 'a\r\nBcc: x', content: 'x' }] },
    { ...base, attachments: [{ content: 'x', contentType: 'text/plain\r\nBcc: x' }] },
  ];
  for (const message of cases) {
    const err = await t.send(message).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isRwsError(err, ERROR_CODES.INVALID_HEADER)).toBe(true);
  }
  expect(t.messages).toHaveLength(0);
});

test('a message without recipients, sender or body is refused', async () => {
  const t = createTestMailer();
  for (const m of [
    { from: 'a@example.com', text: 'x' },
    { to: 'b@example.com', text: 'x' },
    { from: 'a@example.com', to: 'b@example.com' },
  ] as MailMessage[]) {
    const err = await t.send(m).then(
      () => null,
      (e: unknown) => e,
    );
    expect(isRwsError(err, ERROR_CODES.INVALID_MESSAGE)).toBe(true);
  }
});
