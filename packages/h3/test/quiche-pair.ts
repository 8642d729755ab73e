import type { QUICClient as QuicheClient } from '@matrixai/quic';
import { onTestFinished } from 'vitest';
import type { ServerCredentials } from './certs.js';
import { createQuicheClient, startQuicheEchoServer } from './quiche-peer.js';

/** A quiche client connected to our endpoint on `port`, destroyed when the test ends. */
export async function connectQuicheClient(port: number, ca: string): Promise<QuicheClient> {
  const client = await createQuicheClient(port, ca);
  onTestFinished(() => client.destroy({ force: true }));
  return client;
}

/** A quiche echo server (see `startQuicheEchoServer`), stopped when the test ends. */
export async function quicheEchoServer(
  creds: ServerCredentials,
): ReturnType<typeof startQuicheEchoServer> {
  const peer = await startQuicheEchoServer(creds);
  onTestFinished(() => peer.server.stop({ force: true }));
  return peer;
}
