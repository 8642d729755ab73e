import {
  constants,
  createDeflateRaw,
  createInflateRaw,
  type DeflateRaw,
  type InflateRaw,
} from 'node:zlib';
import { ProtocolError } from './protocol-error.js';

/** permessage-deflate settings (RFC 7692 §7.1). */
export interface DeflateOptions {
  /** Ask (client) or require (server) the server to reset its compressor per message. */
  readonly serverNoContextTakeover?: boolean | undefined;
  /** Ask (client) or require (server) the client to reset its compressor per message. */
  readonly clientNoContextTakeover?: boolean | undefined;
  /** Largest LZ77 window (9-15) the server may use; 8 is refused as zlib cannot honour it. */
  readonly serverMaxWindowBits?: number | undefined;
  /** Largest window the client may use (9-15), sent when the client offered the parameter. */
  readonly clientMaxWindowBits?: number | undefined;
  /** Messages shorter than this many bytes go uncompressed. Default 1024. */
  readonly thresholdBytes?: number | undefined;
}

/** The parameters both sides agreed on. */
export interface DeflateParams {
  readonly serverNoContextTakeover: boolean;
  readonly clientNoContextTakeover: boolean;
  readonly serverMaxWindowBits: number;
  readonly clientMaxWindowBits: number;
}

const TAIL = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/** Splits a Sec-WebSocket-Extensions value into offers: name plus parameters. */
function parseExtensions(value: string): { name: string; params: Map<string, string | true> }[] {
  const out: { name: string; params: Map<string, string | true> }[] = [];
  for (const item of value.split(',')) {
    const parts = item.split(';').map((p) => p.trim());
    const name = (parts[0] ?? '').toLowerCase();
    if (name === '') continue;
    const params = new Map<string, string | true>();
    for (const p of parts.slice(1)) {
      if (p === '') continue;
      const eq = p.indexOf('=');
      if (eq === -1) params.set(p.toLowerCase(), true);
      else {
        let v = p.slice(eq + 1).trim();
        if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
        params.set(p.slice(0, eq).trim().toLowerCase(), v);
      }
    }
    out.push({ name, params });
  }
  return out;
}

function windowBits(v: string | true | undefined, fallback: number): number | null {
  if (v === undefined) return fallback;
  if (v === true || !/^\d{1,2}$/.test(v)) return null;
  const n = Number(v);
  return n >= 8 && n <= 15 ? n : null;
}

/**
 * Server side of RFC 7692 §7.1 negotiation: takes the first acceptable permessage-deflate
 * offer, applies the server's settings, and returns the agreed parameters and the response
 * extension string, or null when no offer is acceptable (the extension is then not used).
 */
export function negotiateDeflate(
  header: string | null,
  options: DeflateOptions,
): { params: DeflateParams; response: string } | null {
  if (header === null) return null;
  for (const offer of parseExtensions(header)) {
    if (offer.name !== 'permessage-deflate') continue;
    const known = new Set([
      'server_no_context_takeover',
      'client_no_context_takeover',
      'server_max_window_bits',
      'client_max_window_bits',
    ]);
    if ([...offer.params.keys()].some((k) => !known.has(k))) continue;
    const serverBits = windowBits(offer.params.get('server_max_window_bits'), 15);
    const cmwb = offer.params.get('client_max_window_bits');
    const clientOffered = cmwb === undefined ? null : cmwb === true ? 15 : windowBits(cmwb, 15);
    if (serverBits === null || (cmwb !== undefined && clientOffered === null)) continue;
    // The no_context_takeover parameters take no value (RFC 7692 §7.1.1).
    if (
      typeof offer.params.get('server_no_context_takeover') === 'string' ||
      typeof offer.params.get('client_no_context_takeover') === 'string'
    ) {
      continue;
    }
    // zlib cannot deflate with an 8-bit window (it silently uses 9): decline such offers.
    const serverMax = Math.min(serverBits, options.serverMaxWindowBits ?? 15);
    if (serverMax < 9) continue;
    const serverNoContextTakeover =
      offer.params.has('server_no_context_takeover') || options.serverNoContextTakeover === true;
    const clientNoContextTakeover =
      offer.params.has('client_no_context_takeover') || options.clientNoContextTakeover === true;
    // The server may cap the client's window only when the client offered the parameter.
    const clientMax =
      clientOffered === null ? 15 : Math.min(clientOffered, options.clientMaxWindowBits ?? 15);
    const parts = ['permessage-deflate'];
    if (serverNoContextTakeover) parts.push('server_no_context_takeover');
    if (clientNoContextTakeover) parts.push('client_no_context_takeover');
    if (offer.params.has('server_max_window_bits') || serverMax < 15) {
      parts.push(`server_max_window_bits=${serverMax}`);
    }
    if (clientOffered !== null && clientMax < 15) parts.push(`client_max_window_bits=${clientMax}`);
    return {
      params: {
        serverNoContextTakeover,
        clientNoContextTakeover,
        serverMaxWindowBits: serverMax,
        clientMaxWindowBits: clientMax,
      },
      response: parts.join('; '),
    };
  }
  return null;
}

/** The offer a client sends for `options` (RFC 7692 §5). */
export function deflateOffer(options: DeflateOptions): string {
  const parts = ['permessage-deflate'];
  if (options.serverNoContextTakeover === true) parts.push('server_no_context_takeover');
  if (options.clientNoContextTakeover === true) parts.push('client_no_context_takeover');
  if (options.serverMaxWindowBits !== undefined) {
    parts.push(`server_max_window_bits=${options.serverMaxWindowBits}`);
  }
  parts.push(
    options.clientMaxWindowBits === undefined
      ? 'client_max_window_bits'
      : `client_max_window_bits=${options.clientMaxWindowBits}`,
  );
  return parts.join('; ');
}

/**
 * Client side: checks the server's answer against what the client offered (RFC 7692 §7.1)
 * and returns the agreed parameters, or throws a message naming the problem.
 */
export function acceptDeflateResponse(header: string, offered: DeflateOptions): DeflateParams {
  const all = parseExtensions(header);
  const only = all[0];
  if (all.length !== 1 || only === undefined || only.name !== 'permessage-deflate') {
    throw new Error(`unexpected Sec-WebSocket-Extensions: ${header.slice(0, 100)}`);
  }
  const p = only.params;
  const serverBits = windowBits(p.get('server_max_window_bits'), 15);
  const clientBits = windowBits(p.get('client_max_window_bits'), offered.clientMaxWindowBits ?? 15);
  if (serverBits === null || clientBits === null || clientBits < 9) {
    throw new Error('invalid permessage-deflate window bits in the response');
  }
  if (offered.serverNoContextTakeover === true && !p.has('server_no_context_takeover')) {
    throw new Error('the server ignored server_no_context_takeover');
  }
  for (const k of p.keys()) {
    if (
      k !== 'server_no_context_takeover' &&
      k !== 'client_no_context_takeover' &&
      k !== 'server_max_window_bits' &&
      k !== 'client_max_window_bits'
    ) {
      throw new Error(`unknown permessage-deflate parameter ${k.slice(0, 40)}`);
    }
  }
  return {
    serverNoContextTakeover: p.has('server_no_context_takeover'),
    clientNoContextTakeover: p.has('client_no_context_takeover'),
    serverMaxWindowBits: serverBits,
    clientMaxWindowBits: clientBits,
  };
}

/**
 * One side's compressor and decompressor (node:zlib raw deflate). With context takeover the
 * zlib streams live as long as the connection and each message ends with a sync flush whose
 * 00 00 FF FF tail is stripped (RFC 7692 §7.2.1); without it they are reset per message.
 * Calls must not overlap: the WebSocket serialises them.
 */
export class PerMessageDeflate {
  readonly params: DeflateParams;
  /** Messages shorter than this go uncompressed (`DeflateOptions.thresholdBytes`). */
  readonly thresholdBytes: number;
  readonly #isServer: boolean;
  #deflate: DeflateRaw | null = null;
  #inflate: InflateRaw | null = null;

  constructor(params: DeflateParams, isServer: boolean, thresholdBytes = 1024) {
    this.params = params;
    this.#isServer = isServer;
    this.thresholdBytes = thresholdBytes;
  }

  /** Compresses one whole message. */
  async compress(data: Uint8Array): Promise<Uint8Array> {
    const bits = this.#isServer ? this.params.serverMaxWindowBits : this.params.clientMaxWindowBits;
    const noTakeover = this.#isServer
      ? this.params.serverNoContextTakeover
      : this.params.clientNoContextTakeover;
    const z = (this.#deflate ??= createDeflateRaw({ windowBits: bits, memLevel: 8 }));
    const out = await run(z, data, Number.POSITIVE_INFINITY);
    if (noTakeover) this.#reset('deflate');
    // RFC 7692 §7.2.1: remove the trailing empty stored block.
    const end =
      out.length >= 4 && out.subarray(out.length - 4).equals(TAIL) ? out.length - 4 : out.length;
    return end === 0 ? Buffer.from([0x00]) : out.subarray(0, end);
  }

  /**
   * Inflates one whole message; more than `maxBytes` of output fails with 1009 as soon as
   * it is seen (a zip bomb is never inflated in full).
   */
  async decompress(data: Uint8Array, maxBytes: number): Promise<Uint8Array> {
    const noTakeover = this.#isServer
      ? this.params.clientNoContextTakeover
      : this.params.serverNoContextTakeover;
    // The inflater takes the widest window: any encoder window up to 15 decodes with it.
    const z = (this.#inflate ??= createInflateRaw({ windowBits: 15 }));
    try {
      const out = await run(z, Buffer.concat([data, TAIL]), maxBytes);
      if (noTakeover) this.#reset('inflate');
      return out;
    } catch (err) {
      this.#reset('inflate');
      if (err instanceof ProtocolError) throw err;
      throw new ProtocolError(1007, 'the compressed payload is not valid deflate data');
    }
  }

  /** Releases the zlib streams. */
  close(): void {
    this.#reset('deflate');
    this.#reset('inflate');
  }

  #reset(which: 'deflate' | 'inflate'): void {
    const z = which === 'deflate' ? this.#deflate : this.#inflate;
    if (z === null) return;
    z.removeAllListeners('data');
    z.on('error', noop);
    z.close();
    if (which === 'deflate') this.#deflate = null;
    else this.#inflate = null;
  }
}

/** Writes `input` through `z`, sync-flushes, and collects the output up to `maxBytes`. */
function run(z: DeflateRaw | InflateRaw, input: Uint8Array, maxBytes: number): Promise<Buffer> {
  return new Promise<Buffer>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let total = 0;
    let isDone = false;
    const finish = (err: Error | null): void => {
      if (isDone) return;
      isDone = true;
      z.removeListener('data', onData);
      z.removeListener('error', onError);
      if (err !== null) reject(err);
      else resolve(chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, total));
    };
    const onData = (chunk: Buffer): void => {
      total += chunk.length;
      if (total > maxBytes) {
        finish(new ProtocolError(1009, `the inflated message exceeds ${maxBytes} bytes`));
        return;
      }
      chunks.push(chunk);
    };
    const onError = (err: Error): void => finish(err);
    z.on('data', onData);
    z.on('error', onError);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () => finish(null));
  });
}

function noop(): void {}
