/**
 * Upgrade and CONNECT inside the handler chain (issue #9): the connection offers
 * `req.upgrade`, every middleware runs, and a handler that calls `accept()` gets the socket
 * as a core `Tunnel`. A handler that does not accept answers normally (401, 426, …).
 */
import type { Socket } from 'node:net';
import { Headers, type HeadersInit, RwsError, type Tunnel, type Upgrade } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { resetDeadlines } from './connection-deadline.js';
import { ST_CLOSED, ST_UPGRADED } from './connection-state.js';
import type { H1Request, WeakAborter } from './h1-request.js';
import type { ServerConnection } from './server-connection.js';
import { socketTunnel } from './socket-tunnel.js';
import { statusLine } from './status.js';

const EMPTY = Buffer.alloc(0);

/** The `req.upgrade` of an HTTP/1.1 Upgrade (`kind: 'upgrade'`) or CONNECT request. */
export class H1Upgrade implements Upgrade {
  readonly kind: 'upgrade' | 'connect';
  readonly protocol: string | null;
  // Dropped once accepted, so a request kept by the handler does not keep the connection.
  #c: ServerConnection | null;
  #req: H1Request | null;
  #isAccepted = false;

  constructor(
    c: ServerConnection,
    req: H1Request,
    kind: 'upgrade' | 'connect',
    protocol: string | null,
  ) {
    this.#c = c;
    this.#req = req;
    this.kind = kind;
    this.protocol = protocol;
  }

  accept(headers?: HeadersInit): Promise<Tunnel> {
    try {
      const { socket, head } = this.acceptSocket(headers);
      return Promise.resolve(socketTunnel(socket, head.length === 0 ? null : head));
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** `accept()` for an owner that speaks the new protocol on the socket itself (h2c). */
  acceptSocket(headers?: HeadersInit): { socket: Socket; head: Buffer } {
    const fields = headers instanceof Headers ? headers : new Headers(headers);
    const c = this.#c;
    if (
      this.#isAccepted ||
      c === null ||
      this.#req !== c.req ||
      c.isResponseStarted ||
      c.isResponseDone ||
      c.state === ST_CLOSED ||
      c.state === ST_UPGRADED
    ) {
      throw new RwsError(
        ERROR_CODES.UPGRADE_UNAVAILABLE,
        this.#isAccepted
          ? 'upgrade already accepted'
          : 'cannot accept the upgrade: the response has started or the request is over',
      );
    }
    this.#isAccepted = true;
    this.#c = null;
    this.#req = null;
    return takeOver(c, this, fields);
  }
}

/** Attaches the upgrade offer to a request the connection can hand over. */
export function offerUpgrade(
  c: ServerConnection,
  req: H1Request,
  kind: 'upgrade' | 'connect',
  protocol: string | null,
): void {
  req.upgrade = new H1Upgrade(c, req, kind, protocol);
}

/**
 * Writes the switching response and detaches the socket from HTTP: 101 with `Connection` and
 * `Upgrade` (RFC 9110 §7.8, §15.2.2) or 200 to CONNECT, which carries no framing fields
 * (RFC 9110 §9.3.6).
 */
function takeOver(
  c: ServerConnection,
  upgrade: H1Upgrade,
  fields: Headers,
): { socket: Socket; head: Buffer } {
  let head: string;
  if (upgrade.kind === 'upgrade') {
    head = statusLine(101);
    head += 'connection: upgrade\r\n';
    if (!fields.has('upgrade')) head += `upgrade: ${firstToken(upgrade.protocol ?? '')}\r\n`;
  } else {
    head = statusLine(200);
  }
  const list = fields.toList();
  for (let i = 0; i < list.length; i += 2) {
    const name = list[i]!;
    if (
      name === 'connection' ||
      name === 'content-length' ||
      name === 'transfer-encoding' ||
      name === 'keep-alive'
    ) {
      continue;
    }
    head += `${name}: ${list[i + 1]}\r\n`;
  }
  if (!fields.has('date')) head += `date: ${c.server.date()}\r\n`;
  head += '\r\n';

  c.state = ST_UPGRADED;
  c.isResponseStarted = true;
  c.isResponseDone = true;
  resetDeadlines(c);
  c.bodyDeadline = 0;
  const socket = c.socket;
  socket.removeListener('end', c.onEnd);
  socket.removeListener('close', c.onClose);
  socket.removeListener('drain', c.onDrain);
  // Bytes the client sent right after the head already belong to the new protocol.
  const early = c.tunnelHead ?? c.pending ?? EMPTY;
  c.tunnelHead = null;
  c.pending = null;
  // Paused, but the handle goes on reading (into the readable side, up to its high-water
  // mark) so a reset is noticed while nobody reads the tunnel yet.
  c.releaseReads();
  socket.write(head, 'latin1');
  // The handler's cleanup may hang off `req.signal`: it still tells when the peer is gone.
  // The listener holds the request weakly and the connection not at all: an idle tunnel
  // keeps only its socket (issue #14).
  if (c.req !== null) {
    (socket as AbortingSocket)[kAbortOnClose] = c.req.weakAborter();
    socket.on('close', abortOnClose);
  }
  c.server.connectionClosed(c);
  return { socket, head: Buffer.from(early) };
}

/** Where the shared 'close' listener of an upgraded socket finds its request's aborter. */
const kAbortOnClose: unique symbol = Symbol('rws.http1.abortOnClose');
type AbortingSocket = Socket & { [kAbortOnClose]?: WeakAborter | undefined };

function abortOnClose(this: AbortingSocket): void {
  const abort = this[kAbortOnClose];
  this[kAbortOnClose] = undefined;
  abort?.abort(new RwsError(ERROR_CODES.CLIENT_ABORTED, 'the upgraded connection closed'));
}

function firstToken(list: string): string {
  const comma = list.indexOf(',');
  return (comma === -1 ? list : list.slice(0, comma)).trim();
}
