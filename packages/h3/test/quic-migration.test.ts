import { randomBytes } from 'node:crypto';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { makeCredentials, type ServerCredentials } from './certs.js';
import { echo, echoPair, sha256 } from './quic-pair.js';

let creds: ServerCredentials;
beforeAll(() => {
  creds = makeCredentials('ec');
});

describe('connection migration to a new local port (RFC 9000 §8.2, §9)', () => {
  it('the client moves to a new port mid-connection; both sides validate the path and streams go on', async () => {
    const { client, port, accepted } = await echoPair(creds);
    const connection = await client.connect({
      host: '127.0.0.1',
      port,
      alpn: ['echo'],
      ca: [creds.ca],
    });
    const payload = randomBytes(200_000);
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    const server = accepted[0]!;
    // Wait until the client holds spare connection IDs, so the new path gets a fresh one.
    await vi.waitFor(() => expect(server.localCidCount).toBe(4));
    const oldPort = client.address().port;
    await client.rebind();
    expect(client.address().port).not.toBe(oldPort);
    // Traffic on the new path (the old socket is closed).
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
    await vi.waitFor(
      () => {
        expect(server.stats.pathsValidated).toBe(1);
        expect(connection.stats.pathsValidated).toBe(1);
      },
      { timeout: 10_000 },
    );
    // The client retired the connection ID of the old path and the server replaced it.
    await vi.waitFor(() => expect(server.localCidCount).toBe(4));
    expect(sha256(await echo(connection, payload))).toBe(sha256(payload));
  }, 60_000);

  it('a server endpoint refuses to move', async () => {
    const { server } = await echoPair(creds);
    await expect(server.rebind()).rejects.toThrow(/cannot move/);
  });
});
