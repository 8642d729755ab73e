import { cryptoError, TLS_ALERT, TRANSPORT_ERROR, transportError } from '../../errors.js';
import { ByteWriter } from '../byte-writer.js';
import { readExtensions, tlsReader, writeExtensions } from './handshake-codec.js';
import { EXTENSION } from './tls-types.js';

/**
 * What a client keeps from a NewSessionTicket to resume a later connection with the same
 * server (RFC 8446 §4.6.1): the opaque ticket, the PSK derived from it, and what the server
 * will check. Plain data, so an application may store it (it is a secret: the PSK resumes the
 * session). Offered only while unexpired, to the same server name, with its ALPN offered.
 */
export interface SessionTicket {
  /** The server's opaque ticket (sent back as the PSK identity). */
  readonly ticket: Uint8Array;
  /** The resumption PSK (HKDF-Expand-Label of the resumption master secret and the nonce). */
  readonly psk: Uint8Array;
  /** The TLS cipher suite code of the session; the PSK works only with a suite of its hash. */
  readonly cipherSuite: number;
  /** Added to the ticket's age in milliseconds to hide it on the wire (obfuscated_ticket_age). */
  readonly ageAdd: number;
  /** How long the server accepts the ticket, in seconds (at most 7 days). */
  readonly lifetimeS: number;
  /** When the ticket arrived (Date.now()). */
  readonly receivedAt: number;
  /** The server name the session was for (SNI), if any. */
  readonly serverName: string | undefined;
  /** The application protocol of the session. */
  readonly alpn: string;
  /** The server's max_early_data_size: 0 when it takes no 0-RTT with this ticket. */
  readonly maxEarlyData: number;
  /**
   * The server's quic_transport_parameters of the session, remembered for 0-RTT: the limits
   * early data must respect before the new handshake brings the current ones (RFC 9000 §7.4.1).
   */
  readonly transportParameters: Uint8Array | undefined;
}

/** RFC 8446 §4.6.1: servers must not ask for more than seven days. */
export const MAX_TICKET_LIFETIME_S: number = 7 * 24 * 60 * 60;

/** A NewSessionTicket message body as parsed or to encode. */
export interface NewSessionTicket {
  readonly lifetimeS: number;
  readonly ageAdd: number;
  readonly nonce: Uint8Array;
  readonly ticket: Uint8Array;
  /** max_early_data_size of its early_data extension; 0 when there is none. */
  readonly maxEarlyData: number;
}

/**
 * QUIC servers that take 0-RTT must say 0xffffffff (RFC 9001 §4.6.1): QUIC flow control, not
 * TLS, limits early data.
 */
export const QUIC_MAX_EARLY_DATA = 0xffffffff;

/** Encodes a NewSessionTicket body, with early_data when `maxEarlyData` is not 0. */
export function encodeNewSessionTicket(t: NewSessionTicket): Uint8Array {
  const w = new ByteWriter(t.ticket.length + t.nonce.length + 16)
    .u32(t.lifetimeS)
    .u32(t.ageAdd)
    .u8(t.nonce.length)
    .bytes(t.nonce)
    .u16(t.ticket.length)
    .bytes(t.ticket);
  const earlyData = new ByteWriter(4).u32(t.maxEarlyData >>> 0).finish();
  writeExtensions(w, t.maxEarlyData === 0 ? [] : [[EXTENSION.EARLY_DATA, earlyData]]);
  return w.finish();
}

/** Parses a NewSessionTicket body; a lifetime over seven days is illegal_parameter. */
export function parseNewSessionTicket(body: Uint8Array): NewSessionTicket {
  const r = tlsReader(body, 'NewSessionTicket');
  const lifetimeS = r.u32('ticket_lifetime');
  const ageAdd = r.u32('ticket_age_add');
  const nonce = r.bytes(r.u8(), 'ticket_nonce');
  const ticket = r.bytes(r.u16(), 'the ticket');
  if (ticket.length === 0) throw r.fail('an empty ticket');
  const extensions = readExtensions(r);
  const earlyData = extensions.get(EXTENSION.EARLY_DATA);
  let maxEarlyData = 0;
  if (earlyData !== undefined) {
    const e = tlsReader(earlyData, 'early_data');
    maxEarlyData = e.u32('max_early_data_size');
    if (e.remaining !== 0) throw e.fail('trailing bytes');
    // RFC 9001 §4.6.1: any other value is a protocol violation.
    if (maxEarlyData !== QUIC_MAX_EARLY_DATA)
      throw transportError(
        TRANSPORT_ERROR.PROTOCOL_VIOLATION,
        `max_early_data_size ${maxEarlyData} is not 0xffffffff`,
      );
  }
  if (lifetimeS > MAX_TICKET_LIFETIME_S)
    throw cryptoError(
      TLS_ALERT.ILLEGAL_PARAMETER,
      `a ticket lifetime of ${lifetimeS} s exceeds seven days`,
    );
  return { lifetimeS, ageAdd, nonce: nonce.slice(), ticket: ticket.slice(), maxEarlyData };
}
