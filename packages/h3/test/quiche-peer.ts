import { createHmac, randomFillSync, timingSafeEqual } from 'node:crypto';
import {
  events,
  QUICClient,
  type QUICClientConfigInput,
  QUICServer,
  type QUICClient as QuicheClient,
  type QUICConnection as QuicheConnection,
  type QUICStream as QuicheStream,
} from '@matrixai/quic';
import type { ServerCredentials } from './certs.js';

/**
 * Cloudflare quiche as an independent QUIC peer, through `@matrixai/quic` (its prebuilt
 * binding). Only bidirectional streams are used: the library mishandles streams its peer opens
 * in one direction (issue #20).
 */

/** The ALPN both sides speak in these tests: not h3, so only the transport is exercised. */
export const QUICHE_ALPN = 'rws-echo';

/** Everything a quiche stream delivers until its end. */
export async function readAll(stream: QuicheStream): Promise<Buffer> {
  const chunks: Uint8Array[] = [];
  for await (const chunk of stream.readable) chunks.push(chunk);
  return Buffer.concat(chunks);
}

/** Writes `payload` in 16 KiB pieces on a quiche stream and ends it. */
async function writeAll(stream: QuicheStream, payload: Uint8Array): Promise<void> {
  const writer = stream.writable.getWriter();
  for (let i = 0; i < payload.length; i += 16_384)
    await writer.write(payload.subarray(i, i + 16_384));
  await writer.close();
}

/** Sends `payload` on a new quiche bidirectional stream and returns what came back. */
export async function quicheEcho(
  connection: QuicheConnection,
  payload: Uint8Array,
): Promise<Buffer> {
  const stream = connection.newStream('bidi');
  const [reply] = await Promise.all([readAll(stream), writeAll(stream, payload)]);
  return reply;
}

type QuicheLogger = NonNullable<Parameters<typeof QUICClient.createQUICClient>[0]['logger']>;

/** A logger that drops @matrixai/quic's INFO lines (several per stream), which would bury test output. */
const silent: QuicheLogger = (() => {
  const logger = {
    getChild: () => logger,
    debug: () => {},
    info: () => {},
    warn: () => {},
    error: () => {},
  };
  return logger as unknown as QuicheLogger;
})();

/** The windows of the quiche client and server of these tests. */
const testWindows: QUICClientConfigInput = {
  // quiche's defaults (1 MiB per stream, 10 MiB per connection) would hide flow control:
  // small windows make both sides send MAX_STREAM_DATA / MAX_DATA many times per transfer.
  initialMaxData: 256 * 1024,
  initialMaxStreamDataBidiLocal: 64 * 1024,
  initialMaxStreamDataBidiRemote: 64 * 1024,
  maxIdleTimeout: 30_000,
};

/**
 * A quiche client connected to `port` on 127.0.0.1 that trusts `ca`; quiche checks the
 * certificate chain and the server name itself (`verifyPeer`). `config` overrides the small
 * test windows (the benchmark uses quiche's defaults).
 */
export function createQuicheClient(
  port: number,
  ca: string,
  config: QUICClientConfigInput = testWindows,
): Promise<QuicheClient> {
  return QUICClient.createQUICClient(
    {
      host: '127.0.0.1',
      port,
      serverName: 'localhost',
      crypto: {
        ops: {
          randomBytes: async (data: ArrayBuffer) => void randomFillSync(new Uint8Array(data)),
        },
      },
      config: { ...config, applicationProtos: [QUICHE_ALPN], ca, verifyPeer: true },
      logger: silent,
    },
    { timer: 20_000 },
  );
}

/**
 * A quiche server on 127.0.0.1 that echoes every bidirectional stream its client opens. It
 * always answers a first Initial with a Retry (`@matrixai/quic` validates every address), so
 * every client of it follows a Retry.
 */
export async function startQuicheEchoServer(
  creds: ServerCredentials,
): Promise<{ server: QUICServer; port: number; connections: QuicheConnection[] }> {
  // The HMAC key from which it derives its connection IDs and signs its Retry tokens.
  const key = randomFillSync(new Uint8Array(32)).buffer;
  const sign = async (k: ArrayBuffer, data: ArrayBuffer): Promise<ArrayBuffer> => {
    const mac = createHmac('sha256', Buffer.from(k)).update(Buffer.from(data)).digest();
    return mac.buffer.slice(mac.byteOffset, mac.byteOffset + mac.byteLength);
  };
  const verify = async (k: ArrayBuffer, data: ArrayBuffer, sig: ArrayBuffer): Promise<boolean> => {
    const expected = Buffer.from(await sign(k, data));
    const given = Buffer.from(sig);
    return expected.length === given.length && timingSafeEqual(expected, given);
  };
  const server = new QUICServer({
    crypto: { key, ops: { sign, verify } },
    config: {
      ...testWindows,
      applicationProtos: [QUICHE_ALPN],
      key: creds.key,
      cert: creds.cert,
      verifyPeer: false,
    },
    logger: silent,
  });
  const connections: QuicheConnection[] = [];
  server.addEventListener(events.EventQUICServerConnection.name, (evt: Event) => {
    const connection = (evt as events.EventQUICServerConnection).detail;
    connections.push(connection);
    connection.addEventListener(events.EventQUICConnectionStream.name, (streamEvt: Event) => {
      const stream = (streamEvt as events.EventQUICConnectionStream).detail;
      void stream.readable.pipeTo(stream.writable).catch(() => {});
    });
  });
  await server.start({ host: '127.0.0.1', port: 0 });
  return { server, port: server.port, connections };
}
