import { createHmac, randomBytes } from 'node:crypto';
import { createSocket, type Socket } from 'node:dgram';
import { native } from '@matrixai/quic';
import type { ServerCredentials } from './certs.js';
import { QUICHE_ALPN } from './quiche-peer.js';

/**
 * quiche driven directly through @matrixai/quic's native binding, for what its `QUICClient`
 * and `QUICServer` do not expose: session resumption and 0-RTT. `QUICClient` never calls
 * quiche's `Connection::session()` / `set_session()`, and `QUICServer` neither sets a ticket
 * key nor lets a caller do it. One connection per socket, bidirectional streams only.
 */

const { quiche } = native;
/** The length of the connection IDs the native server chooses. */
const SERVER_CID_LENGTH = 16;
type Connection = ReturnType<typeof quiche.Connection.connect>;
type Config = ReturnType<typeof quiche.Config.withBoringSslCtx>;
type HostPort = { host: string; port: number };

/** The receive windows a native peer advertises. */
export interface QuicheWindows {
  readonly maxData: number;
  readonly maxStreamData: number;
}

const DEFAULT_WINDOWS: QuicheWindows = { maxData: 1024 * 1024, maxStreamData: 256 * 1024 };

/** The transport settings both native peers use. */
function configure(config: Config, windows = DEFAULT_WINDOWS): Config {
  config.setApplicationProtos([QUICHE_ALPN]);
  config.enableEarlyData();
  // Twice our endpoints' default: quiche at times backs a retransmission off for seconds (9 s
  // seen through the lossy relay), so an endpoint that asks for 60 s gets that much room.
  config.setMaxIdleTimeout(60_000);
  config.setInitialMaxData(windows.maxData);
  config.setInitialMaxStreamDataBidiLocal(windows.maxStreamData);
  config.setInitialMaxStreamDataBidiRemote(windows.maxStreamData);
  config.setInitialMaxStreamsBidi(16);
  return config;
}

/**
 * An echo that never ends a stream with a zero-length STREAM frame: it holds back each
 * stream's last byte until the FIN and sends them together. quiche 0.18 forgets a lost
 * FIN-only frame once the data before it is acknowledged (cloudflare/quiche#2525: the stream
 * counts as complete and is freed), so the peer would wait for the end until its idle timeout.
 */
function finWithData(
  write: (id: number, bytes: Uint8Array, fin: boolean) => void,
): (id: number, chunk: Buffer, fin: boolean) => void {
  const held = new Map<number, Buffer>();
  return (id, chunk, fin) => {
    const last = held.get(id);
    const bytes = last === undefined ? chunk : Buffer.concat([last, chunk]);
    held.delete(id);
    if (fin) return write(id, bytes, true);
    if (bytes.length === 0) return;
    held.set(id, bytes.subarray(bytes.length - 1));
    if (bytes.length > 1) write(id, bytes.subarray(0, bytes.length - 1), false);
  };
}

async function bindLoopback(): Promise<{ socket: Socket; local: HostPort }> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return { socket, local: { host: '127.0.0.1', port: socket.address().port } };
}

/**
 * The event loop around one quiche connection: feeds it datagrams, sends what it has to send,
 * runs its timer, hands received stream data to `onData`, and queues stream writes (quiche
 * takes at most its congestion window per call).
 */
function drive(
  socket: Socket,
  local: HostPort,
  onData: (id: number, chunk: Buffer, fin: boolean) => void,
) {
  let conn: Connection | undefined;
  let timer: NodeJS.Timeout | undefined;
  const unsent = new Map<number, { bytes: Uint8Array; fin: boolean }>();
  const buf = Buffer.alloc(65_536);
  let isStopped = false;
  const flush = (): void => {
    if (conn === undefined || isStopped) return;
    for (const [id, { bytes, fin }] of unsent) {
      const written = conn.streamSend(id, bytes, fin) ?? 0;
      if (written === bytes.length) unsent.delete(id);
      else unsent.set(id, { bytes: bytes.subarray(written), fin });
    }
    for (;;) {
      const out = Buffer.alloc(1500);
      const sent = conn.send(out);
      if (sent === null) break;
      const [length, info] = sent;
      socket.send(out.subarray(0, length), info.to.port, info.to.host);
    }
    clearTimeout(timer);
    const ms = conn.timeout();
    if (ms !== null && !conn.isClosed())
      timer = setTimeout(() => {
        conn?.onTimeout();
        flush();
      }, ms + 1);
  };
  const receive = (msg: Buffer, from: HostPort): void => {
    if (conn === undefined || isStopped) return;
    conn.recv(msg, { from, to: local });
    for (const id of conn.readable()) {
      for (;;) {
        const read = conn.streamRecv(id, buf);
        if (read === null) break;
        onData(id, Buffer.from(buf.subarray(0, read[0])), read[1]);
        if (read[1]) break;
      }
    }
    flush();
  };
  return {
    attach(c: Connection): void {
      conn = c;
    },
    receive,
    /** Queues `bytes` after what the stream has not sent yet. */
    write(id: number, bytes: Uint8Array, fin: boolean): void {
      const queued = unsent.get(id);
      unsent.set(id, { bytes: queued ? Buffer.concat([queued.bytes, bytes]) : bytes, fin });
      flush();
    },
    flush,
    /** Closes the connection (CONNECTION_CLOSE, application code 0) and stops its timer. */
    stop(): void {
      if (isStopped) return;
      if (conn !== undefined && !conn.isClosed()) {
        conn.close(true, 0, new Uint8Array(0));
        flush();
      }
      isStopped = true;
      clearTimeout(timer);
    },
  };
}

/** A quiche client connection made through the native binding. */
export interface QuicheSessionClient {
  /** Resolves when quiche considers the handshake complete. */
  readonly established: Promise<void>;
  /** Whether quiche is (still) sending 0-RTT data: true right after connect with a session. */
  readonly isInEarlyData: () => boolean;
  /** Whether the server accepted the session (a resumed handshake). */
  readonly isResumed: () => boolean;
  /** quiche's serialized TLS session (ticket and transport parameters), once a ticket came. */
  readonly session: () => Uint8Array | null;
  /** Sends `payload` with FIN on the next client bidirectional stream; resolves with the reply. */
  readonly echo: (payload: Uint8Array) => Promise<Buffer>;
  readonly close: () => Promise<void>;
}

/** Connects to 127.0.0.1:`port`, resuming `session` (and sending early data) when given. */
export async function connectQuicheSessionClient(
  port: number,
  ca: string,
  session?: Uint8Array,
): Promise<QuicheSessionClient> {
  const config = configure(
    quiche.Config.withBoringSslCtx(true, false, new TextEncoder().encode(ca)),
  );
  const { socket, local } = await bindLoopback();
  const replies = new Map<number, { chunks: Buffer[]; done: (reply: Buffer) => void }>();
  const loop = drive(socket, local, (id, chunk, fin) => {
    const reply = replies.get(id);
    reply?.chunks.push(chunk);
    if (fin && reply !== undefined) {
      replies.delete(id);
      reply.done(Buffer.concat(reply.chunks));
    }
  });
  const remote = { host: '127.0.0.1', port };
  const conn = quiche.Connection.connect('localhost', randomBytes(16), local, remote, config);
  if (session !== undefined) conn.setSession(session);
  loop.attach(conn);
  let markEstablished!: () => void;
  const established = new Promise<void>((resolve) => {
    markEstablished = resolve;
  });
  socket.on('message', (msg, rinfo) => {
    loop.receive(msg, { host: rinfo.address, port: rinfo.port });
    if (conn.isEstablished()) markEstablished();
  });
  loop.flush();
  let nextStream = 0;
  let isSocketClosed = false;
  return {
    established,
    isInEarlyData: () => conn.isInEarlyData(),
    isResumed: () => conn.isResumed(),
    session: () => conn.session(),
    echo: (payload) =>
      new Promise<Buffer>((resolve) => {
        const id = nextStream;
        nextStream += 4;
        replies.set(id, { chunks: [], done: resolve });
        loop.write(id, payload, true);
      }),
    close: async () => {
      loop.stop();
      if (!isSocketClosed) {
        isSocketClosed = true;
        await new Promise<void>((resolve) => socket.close(() => resolve()));
      }
    },
  };
}

/** A quiche server connection made through the native binding, as seen by the test. */
export interface QuicheSessionServer {
  readonly port: number;
  /** Per accepted connection: resumed, and whether it took early data. */
  readonly connections: Array<{ isResumed: () => boolean; isInEarlyData: () => boolean }>;
  readonly close: () => Promise<void>;
}

/** Options of `startQuicheSessionServer`. */
export interface QuicheSessionServerOptions {
  /** Answer each first Initial with a Retry, as `@matrixai/quic`'s server does. Default false. */
  readonly isRetrying?: boolean;
  readonly windows?: QuicheWindows;
}

/** The mark that opens our Retry tokens; the client's original DCID follows it. */
const RETRY_TOKEN = Buffer.from('rws-retry:');

/**
 * A quiche echo server with a session ticket key (so it issues tickets) and 0-RTT enabled,
 * optionally validating addresses with a Retry (RFC 9000 §8.1.2).
 */
export async function startQuicheSessionServer(
  creds: ServerCredentials,
  options: QuicheSessionServerOptions = {},
): Promise<QuicheSessionServer> {
  const encode = (pem: string) => [new TextEncoder().encode(pem)];
  const config = configure(
    quiche.Config.withBoringSslCtx(false, false, null, encode(creds.key), encode(creds.cert)),
    options.windows,
  );
  // The Retry's SCID follows from the client's DCID, so a retransmitted Initial gets the same.
  const retryKey = randomBytes(32);
  const retryScid = (dcid: Uint8Array) =>
    createHmac('sha256', retryKey).update(dcid).digest().subarray(0, SERVER_CID_LENGTH);
  // BoringSSL's ticket keys: 16 bytes of name, 16 of HMAC key, 16 of AES key.
  config.setTicketKey(randomBytes(48));
  const { socket, local } = await bindLoopback();
  const connections: QuicheSessionServer['connections'] = [];
  const loops = new Map<string, ReturnType<typeof drive>>();
  socket.on('message', (msg, rinfo) => {
    const from = { host: rinfo.address, port: rinfo.port };
    // Routed by destination connection ID: a client may open its next connection from the
    // same port while the last one is still draining.
    const header = quiche.Header.fromSlice(msg, SERVER_CID_LENGTH);
    let loop = loops.get(Buffer.from(header.dcid).toString('hex'));
    if (loop === undefined) {
      if (header.ty !== quiche.Type.Initial) return;
      const token = Buffer.from(header.token ?? []);
      let scid: Uint8Array = randomBytes(SERVER_CID_LENGTH);
      let odcid: Uint8Array | null = null;
      if (options.isRetrying === true) {
        if (token.length === 0) {
          const retry = Buffer.alloc(1500);
          const odcidToken = Buffer.concat([RETRY_TOKEN, header.dcid]);
          const length = quiche.retry(
            header.scid,
            header.dcid,
            retryScid(header.dcid),
            odcidToken,
            header.version,
            retry,
          );
          socket.send(retry.subarray(0, length), from.port, from.host);
          return;
        }
        if (!token.subarray(0, RETRY_TOKEN.length).equals(RETRY_TOKEN)) return;
        odcid = token.subarray(RETRY_TOKEN.length);
        if (!retryScid(odcid).equals(header.dcid)) return;
        // quiche takes the DCID the client now uses as ours (its retry_source_connection_id).
        scid = header.dcid;
      }
      const conn = quiche.Connection.accept(scid, odcid, local, from, config);
      const echoLoop = drive(
        socket,
        local,
        finWithData((id, bytes, fin) => echoLoop.write(id, bytes, fin)),
      );
      echoLoop.attach(conn);
      loop = echoLoop;
      // The client's first DCID until it hears from us, then ours.
      loops.set(Buffer.from(header.dcid).toString('hex'), loop);
      loops.set(Buffer.from(scid).toString('hex'), loop);
      connections.push({
        isResumed: () => conn.isResumed(),
        isInEarlyData: () => conn.isInEarlyData(),
      });
    }
    loop.receive(msg, from);
  });
  return {
    port: local.port,
    connections,
    close: async () => {
      for (const loop of loops.values()) loop.stop();
      await new Promise<void>((resolve) => socket.close(() => resolve()));
    },
  };
}
