import { createHash } from 'node:crypto';
import { onTestFinished } from 'vitest';
import type { QuicConnection } from '../src/quic/quic-connection.js';
import { QuicEndpoint, type QuicEndpointOptions } from '../src/quic/quic-endpoint.js';
import type { QuicStream } from '../src/quic/quic-stream.js';
import type { ServerCredentials } from './certs.js';

/** Everything a stream delivers until its end. */
export async function collect(stream: QuicStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Sends `payload` on a new stream of `connection` and returns what the echo server sent back. */
export async function echo(connection: QuicConnection, payload: Uint8Array): Promise<Buffer> {
  const stream = connection.openStream();
  const reply = collect(stream);
  for (let i = 0; i < payload.length; i += 10_000)
    await stream.write(payload.subarray(i, i + 10_000));
  stream.end();
  return reply;
}

/** The SHA-256 of some bytes, for comparing large payloads in assertions. */
export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** A server that echoes every bidirectional stream back, and a client endpoint. */
export async function echoPair(
  creds: ServerCredentials,
  serverOptions: Partial<QuicEndpointOptions> = {},
): Promise<{
  server: QuicEndpoint;
  client: QuicEndpoint;
  accepted: QuicConnection[];
  port: number;
}> {
  const accepted: QuicConnection[] = [];
  const server = await QuicEndpoint.bind({
    tls: { cert: creds.cert, key: creds.key },
    alpn: ['echo'],
    onConnection: (connection) => {
      accepted.push(connection);
      connection.onStream = (stream) => {
        void (async () => {
          for await (const chunk of stream) await stream.write(chunk);
          stream.end();
        })().catch(() => {});
      };
    },
    ...serverOptions,
  });
  const client = await QuicEndpoint.bind();
  onTestFinished(async () => {
    await client.close();
    await server.close();
  });
  return { server, client, accepted, port: server.address().port };
}

/**
 * A new client endpoint (closed when the test ends) connected to the echo server behind `port`
 * (a relay's port, usually), with the test credentials' CA.
 */
export async function connectEcho(
  creds: ServerCredentials,
  port: number,
  clientOptions: Partial<QuicEndpointOptions> = {},
): Promise<QuicConnection> {
  const client = await QuicEndpoint.bind(clientOptions);
  onTestFinished(() => client.close());
  return client.connect({
    host: '127.0.0.1',
    port,
    serverName: 'localhost',
    alpn: ['echo'],
    ca: [creds.ca],
  });
}
