/**
 * mailer-contact — a contact form that sends mail with `@rws/mailer`: POST /contact builds a
 * multipart message (text + HTML, the visitor as Reply-To) and sends it through a pooled SMTP
 * connection, asking for a delivery status notification (DSN) only on failure or delay, with the
 * headers alone, when the server supports DSN. Without RWS_SMTP_HOST the example records messages in a `TestMailer` instead and
 * shows them at GET /outbox, so it runs anywhere.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mailer-contact.ts
 * then:
 *   curl -X POST -d '{"name":"Zoë","email":"zoe@example.com","message":"Hello!"}' http://127.0.0.1:3000/contact
 *   curl http://127.0.0.1:3000/outbox
 *
 * With a real server: RWS_SMTP_HOST, RWS_SMTP_PORT, RWS_SMTP_USER, RWS_SMTP_PASSWORD,
 * RWS_SMTP_FROM, RWS_SMTP_TLS (starttls | smtps | none). PORT sets the HTTP port (0: any).
 */
import { escapeHtml, HttpError, isRwsError, json } from '@rws/core';
import { createServer } from '@rws/http1';
import { createTestMailer, Mailer, type MailSender } from '@rws/mailer';
import { createApp } from '@rws/router';

// Libraries never read the environment: the program passes it in.
const outbox = createTestMailer({ from: 'contact@example.com' });
const mailer: MailSender = process.env['RWS_SMTP_HOST']
  ? Mailer.fromEnv(process.env, { pool: true })
  : outbox;
const to = process.env['CONTACT_TO'] ?? 'team@example.com';

const app = createApp();

app.post('/contact', async (req) => {
  const body = (await req.body.json()) as { name?: unknown; email?: unknown; message?: unknown };
  if (typeof body.email !== 'string' || typeof body.message !== 'string')
    throw new HttpError(400, 'email and message must be strings');
  const name = typeof body.name === 'string' ? body.name : '';
  try {
    const info = await mailer.send({
      to,
      // An invalid address or a CR/LF in the name is refused: no header injection.
      replyTo: { name, address: body.email },
      subject: `Contact from ${name || body.email}`,
      text: body.message,
      html: `<p>${escapeHtml(body.message)}</p>`,
      // RFC 3461: bounce with headers only, never a success receipt; servers without DSN still
      // get the message.
      dsn: { ret: 'HDRS', notify: ['FAILURE', 'DELAY'], ifUnsupported: 'ignore' },
    });
    return json({ messageId: info.messageId }, { status: 202 });
  } catch (err) {
    if (
      isRwsError(err, 'RWS_MAILER_INVALID_ADDRESS') ||
      isRwsError(err, 'RWS_MAILER_INVALID_HEADER')
    )
      throw new HttpError(400, err.message);
    throw err;
  }
});

app.get('/outbox', () =>
  json(
    outbox.messages.map((m) => ({
      envelope: m.envelope,
      messageId: m.messageId,
      dsn: m.message.dsn,
      raw: m.raw,
    })),
  ),
);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`mailer-contact listening on http://127.0.0.1:${port}/`);

const stop = async () => {
  await server.close();
  await mailer.close();
  process.exit(0);
};
process.once('SIGINT', stop);
process.once('SIGTERM', stop);
