/**
 * Session resumption through the HTTP/3 API: Http3Client keeps the ticket Http3Server sends
 * and resumes with it on its next connection (RFC 8446 §4.6.1), skipping the certificate.
 */
import { text } from '@rws/core';
import { beforeAll, describe, expect, it, onTestFinished } from 'vitest';
import { Http3Client } from '../src/http3/h3-client.js';
import { Http3Server } from '../src/http3/h3-server.js';
import { makeCredentials, type ServerCredentials } from './certs.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('Http3Client resumes an Http3Server session', () => {
  it('the second connection resumes with the first one’s ticket and skips the certificate', async () => {
    const server = await Http3Server.listen({
      tls: { cert: creds.cert, key: creds.key },
      handler: (req) => text(`hello ${req.path}`),
    });
    onTestFinished(() => server.close());
    const options = { host: '127.0.0.1', port: server.address().port, ca: [creds.ca] };
    const first = await Http3Client.connect(options);
    expect(new TextDecoder().decode((await first.request({ path: '/a' })).body)).toBe('hello /a');
    const ticket = first.sessionTicket;
    expect(ticket?.alpn).toBe('h3');
    expect(first.isResumed).toBe(false);
    expect(first.peerCertificate).toBeDefined();
    await first.close();

    const second = await Http3Client.connect({ ...options, sessionTicket: ticket! });
    onTestFinished(() => second.close());
    expect(second.isResumed).toBe(true);
    expect(second.peerCertificate).toBeUndefined();
    expect(new TextDecoder().decode((await second.request({ path: '/b' })).body)).toBe('hello /b');
  });

  it('sessionTickets: false sends none', async () => {
    const server = await Http3Server.listen({
      tls: { cert: creds.cert, key: creds.key },
      handler: () => text('ok'),
      sessionTickets: false,
    });
    onTestFinished(() => server.close());
    const client = await Http3Client.connect({
      host: '127.0.0.1',
      port: server.address().port,
      ca: [creds.ca],
    });
    onTestFinished(() => client.close());
    expect((await client.request({ path: '/' })).status).toBe(200);
    expect(client.sessionTicket).toBeUndefined();
  });
});
