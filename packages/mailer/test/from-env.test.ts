import { isRwsError } from '@rws/core';
import { expect, onTestFinished, test } from 'vitest';
import { ERROR_CODES, Mailer, mailerOptionsFromEnv } from '../src/index.js';
import { startPeer } from './smtp-peer.js';

test('mailerOptionsFromEnv reads RWS_SMTP_*, with the port defaulting from RWS_SMTP_TLS', () => {
  expect(
    mailerOptionsFromEnv({
      RWS_SMTP_HOST: 'smtp.example.com',
      RWS_SMTP_USER: 'ada',
      RWS_SMTP_PASSWORD: 'pw',
      RWS_SMTP_FROM: 'Ada <ada@example.com>',
      RWS_SMTP_TIMEOUT_MS: '5000',
    }),
  ).toEqual({
    host: 'smtp.example.com',
    port: 587,
    secure: 'starttls',
    auth: { user: 'ada', pass: 'pw' },
    from: 'Ada <ada@example.com>',
    connectTimeoutMs: 5000,
    greetingTimeoutMs: 5000,
    commandTimeoutMs: 5000,
  });
  expect(mailerOptionsFromEnv({ RWS_SMTP_HOST: 'h', RWS_SMTP_TLS: 'smtps' }).port).toBe(465);
  for (const env of [
    {},
    { RWS_SMTP_HOST: 'h', RWS_SMTP_TLS: 'tls' },
    { RWS_SMTP_HOST: 'h', RWS_SMTP_PORT: '25x' },
    { RWS_SMTP_HOST: 'h', RWS_SMTP_USER: 'u' },
  ]) {
    let err: unknown;
    try {
      mailerOptionsFromEnv(env);
    } catch (e) {
      err = e;
    }
    expect(isRwsError(err, ERROR_CODES.INVALID_CONFIG)).toBe(true);
  }
});

test('Mailer.fromEnv sends with the default from', async () => {
  const peer = await startPeer({ disabledCommands: ['STARTTLS', 'AUTH'] });
  const mailer = Mailer.fromEnv({
    RWS_SMTP_HOST: '127.0.0.1',
    RWS_SMTP_PORT: String(peer.port),
    RWS_SMTP_TLS: 'none',
    RWS_SMTP_FROM: 'noreply@example.com',
  });
  onTestFinished(() => mailer.close());
  await mailer.send({ to: 'bob@example.org', text: 'hi' });
  expect(peer.received[0]?.from).toBe('noreply@example.com');
});
