import {
  createCipheriv,
  createDecipheriv,
  createSecretKey,
  type KeyObject,
  randomBytes,
} from 'node:crypto';
import { invalidOptions } from '../../errors.js';
import { ByteReader } from '../byte-reader.js';
import { ByteWriter } from '../byte-writer.js';
import { ReplayGuard } from './replay-guard.js';
import type { TicketSettings } from './server-resumption.js';
import { MAX_TICKET_LIFETIME_S } from './session-ticket.js';

/** What a server seals into a ticket so it can resume the session statelessly. */
export interface TicketState {
  readonly cipherSuite: number;
  readonly psk: Uint8Array;
  /** When the ticket was issued (Date.now()). */
  readonly issuedAt: number;
  readonly ageAdd: number;
  readonly lifetimeS: number;
  readonly serverName: string | undefined;
  readonly alpn: string;
  /**
   * Set when the ticket allows 0-RTT: the server's settings early data was sent under (its
   * transport limits); 0-RTT is refused when they differ at resumption.
   */
  readonly earlyDataContext: Uint8Array | undefined;
}

interface TicketKey {
  readonly name: Uint8Array;
  /** A KeyObject: raw bytes make node 24's createCipheriv build and drop two TypeErrors per call. */
  readonly key: KeyObject;
  readonly createdAt: number;
}

const NAME_LENGTH = 8;
const IV_LENGTH = 12;
const TAG_LENGTH = 16;
const FORMAT = 1;
const utf8 = new TextEncoder();

/**
 * A server's session ticket keys: tickets are the session state sealed with AES-256-GCM under
 * a random key that never leaves the process, so the server keeps no per-ticket state. The key
 * rotates every `rotateMs`; the previous key still opens tickets, so a ticket lives through one
 * rotation (its lifetime is checked separately). A forged, truncated or old ticket opens as
 * undefined and the handshake goes on without resumption.
 * @see RFC 8446 §4.6.1, RFC 5077 §4 (the sealed-state idea)
 */
export class TicketKeys {
  readonly #rotateMs: number;
  #current: TicketKey;
  #previous: TicketKey | undefined;

  constructor(rotateMs: number, now: number = Date.now()) {
    this.#rotateMs = rotateMs;
    this.#current = newKey(now);
  }

  #rotate(now: number): void {
    if (now - this.#current.createdAt < this.#rotateMs) return;
    this.#previous = this.#current;
    this.#current = newKey(now);
  }

  seal(state: TicketState, now: number = Date.now()): Uint8Array {
    this.#rotate(now);
    const name = state.serverName === undefined ? undefined : utf8.encode(state.serverName);
    const alpn = utf8.encode(state.alpn);
    const plain = new ByteWriter(128)
      .u8(FORMAT)
      .u16(state.cipherSuite)
      .u32(Math.floor(state.issuedAt / 2 ** 32))
      .u32(state.issuedAt >>> 0)
      .u32(state.ageAdd >>> 0)
      .u32(state.lifetimeS)
      .u8(state.psk.length)
      .bytes(state.psk)
      .u8(name === undefined ? 0 : 1)
      .u16(name?.length ?? 0)
      .bytes(name ?? new Uint8Array(0))
      .u8(alpn.length)
      .bytes(alpn)
      .u8(state.earlyDataContext === undefined ? 0 : 1)
      .u16(state.earlyDataContext?.length ?? 0)
      .bytes(state.earlyDataContext ?? new Uint8Array(0))
      .finish();
    const key = this.#current;
    const iv = randomBytes(IV_LENGTH);
    const cipher = createCipheriv('aes-256-gcm', key.key, iv);
    cipher.setAAD(key.name);
    const sealed = Buffer.concat([cipher.update(plain), cipher.final()]);
    return Buffer.concat([key.name, iv, sealed, cipher.getAuthTag()]);
  }

  /** The state in `ticket`, or undefined when no current key opens it. */
  open(ticket: Uint8Array, now: number = Date.now()): TicketState | undefined {
    this.#rotate(now);
    if (ticket.length < NAME_LENGTH + IV_LENGTH + TAG_LENGTH + 1) return undefined;
    const name = ticket.subarray(0, NAME_LENGTH);
    const key = [this.#current, this.#previous].find(
      (k) => k !== undefined && Buffer.compare(k.name, name) === 0,
    );
    if (key === undefined) return undefined;
    try {
      const decipher = createDecipheriv(
        'aes-256-gcm',
        key.key,
        ticket.subarray(NAME_LENGTH, NAME_LENGTH + IV_LENGTH),
      );
      decipher.setAAD(name);
      decipher.setAuthTag(ticket.subarray(ticket.length - TAG_LENGTH));
      const plain = Buffer.concat([
        decipher.update(ticket.subarray(NAME_LENGTH + IV_LENGTH, ticket.length - TAG_LENGTH)),
        decipher.final(),
      ]);
      return decodeState(plain);
    } catch {
      // A failed tag or a malformed body: not our ticket.
      return undefined;
    }
  }
}

function newKey(now: number): TicketKey {
  return { name: randomBytes(NAME_LENGTH), key: createSecretKey(randomBytes(32)), createdAt: now };
}

function decodeState(plain: Uint8Array): TicketState | undefined {
  const r = new ByteReader(plain);
  if (r.u8() !== FORMAT) return undefined;
  const cipherSuite = r.u16();
  const issuedAt = r.u32() * 2 ** 32 + r.u32();
  const ageAdd = r.u32();
  const lifetimeS = r.u32();
  const psk = new Uint8Array(r.bytes(r.u8()));
  const hasName = r.u8() === 1;
  const nameBytes = r.bytes(r.u16());
  const alpn = Buffer.from(r.bytes(r.u8())).toString('utf8');
  const serverName = hasName ? Buffer.from(nameBytes).toString('utf8') : undefined;
  const hasEarlyData = r.u8() === 1;
  const context = new Uint8Array(r.bytes(r.u16()));
  const earlyDataContext = hasEarlyData ? context : undefined;
  return { cipherSuite, psk, issuedAt, ageAdd, lifetimeS, serverName, alpn, earlyDataContext };
}

/** A day: how long tickets live by default. */
const DEFAULT_TICKET_LIFETIME_S = 24 * 60 * 60;

/** Tickets remembered for 0-RTT anti-replay; past this many unexpired ones 0-RTT is refused. */
const MAX_REPLAY_ENTRIES = 100_000;

/**
 * The `sessionTickets` and `earlyData` endpoint options as the TLS server wants them
 * (undefined: no tickets). `earlyDataContext` names the settings 0-RTT depends on.
 */
export function ticketSettings(
  option: false | { readonly lifetimeS?: number } | undefined,
  earlyDataContext: Uint8Array | undefined,
): TicketSettings | undefined {
  if (option === false) return undefined;
  const lifetimeS = option?.lifetimeS ?? DEFAULT_TICKET_LIFETIME_S;
  if (!Number.isInteger(lifetimeS) || lifetimeS < 1 || lifetimeS > MAX_TICKET_LIFETIME_S)
    throw invalidOptions(
      `sessionTickets.lifetimeS must be an integer from 1 to ${MAX_TICKET_LIFETIME_S}, got ${lifetimeS}`,
    );
  const keys = new TicketKeys(lifetimeS * 1000);
  if (earlyDataContext === undefined) return { keys, lifetimeS };
  const guard = new ReplayGuard(MAX_REPLAY_ENTRIES);
  return { keys, lifetimeS, earlyData: { guard, context: earlyDataContext } };
}
