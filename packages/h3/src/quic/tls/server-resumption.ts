import { randomBytes } from 'node:crypto';
import { cryptoError, TLS_ALERT } from '../../errors.js';
import { CIPHER_SUITES, type CipherSuite } from '../crypto/cipher-suite.js';
import { handshakeMessage } from './handshake-codec.js';
import type { ClientHello } from './hello-messages.js';
import type { KeySchedule } from './key-schedule.js';
import { allowsPskDheKe, checkBinder, parseOfferedPsk } from './pre-shared-key.js';
import type { ReplayGuard } from './replay-guard.js';
import { encodeNewSessionTicket, QUIC_MAX_EARLY_DATA } from './session-ticket.js';
import type { TicketKeys, TicketState } from './ticket-keys.js';
import { EXTENSION, HANDSHAKE_TYPE } from './tls-types.js';

/**
 * The server's half of session resumption: deciding whether a ClientHello's ticket resumes
 * the session, and issuing the NewSessionTicket after a handshake.
 * @see RFC 8446 §4.2.11, §4.6.1
 */

/** How far the client's idea of a ticket's age may run ahead of ours (clock rates, RTT). */
const AGE_TOLERANCE_MS = 10_000;

/** A server's ticket settings: key, lifetime, and 0-RTT when it is on. */
export interface TicketSettings {
  readonly keys: TicketKeys;
  readonly lifetimeS: number;
  /**
   * 0-RTT: tickets allow early data, each once (`guard`); `context` is what early data depends
   * on (the server's transport limits), and a ticket issued under another one gets no 0-RTT.
   */
  readonly earlyData?: { readonly guard: ReplayGuard; readonly context: Uint8Array };
}

/** A ticket that resumes the session. */
export interface Resumption {
  readonly psk: Uint8Array;
  readonly state: TicketState;
  readonly ticket: Uint8Array;
}

/** What the new handshake negotiated, which the ticket's session must match. */
export interface ResumptionContext {
  readonly suite: CipherSuite;
  readonly alpn: string;
  readonly serverName: string | undefined;
}

/**
 * The PSK to resume with, or undefined for a full handshake: when the ticket does not open
 * (forged, tampered, from a rotated-out key), has expired, carries an impossible age, or was
 * for another server name, application protocol or hash. A ticket that opens but whose binder
 * is wrong aborts the handshake (decrypt_error), as RFC 8446 §4.2.11 requires.
 */
export function acceptResumption(
  keys: TicketKeys,
  hello: ClientHello,
  raw: Uint8Array,
  before: readonly Uint8Array[],
  context: ResumptionContext,
  now: number = Date.now(),
): Resumption | undefined {
  const body = hello.extensions.get(EXTENSION.PRE_SHARED_KEY);
  if (body === undefined) return undefined;
  if ([...hello.extensions.keys()].at(-1) !== EXTENSION.PRE_SHARED_KEY)
    throw cryptoError(
      TLS_ALERT.ILLEGAL_PARAMETER,
      'pre_shared_key is not the last ClientHello extension',
    );
  const offered = parseOfferedPsk(body);
  // Without psk_key_exchange_modes a PSK must not be used; we only do psk_dhe_ke.
  if (!allowsPskDheKe(hello.extensions.get(EXTENSION.PSK_KEY_EXCHANGE_MODES))) return undefined;
  const state = keys.open(offered.identity.identity, now);
  if (state === undefined) return undefined;
  const age = now - state.issuedAt;
  if (age < 0 || age > state.lifetimeS * 1000) return undefined;
  const clientAge = (offered.identity.obfuscatedAge - state.ageAdd) >>> 0;
  if (clientAge > age + AGE_TOLERANCE_MS) return undefined;
  const sessionSuite = CIPHER_SUITES.find((s) => s.code === state.cipherSuite);
  if (sessionSuite?.hash !== context.suite.hash) return undefined;
  if (state.alpn !== context.alpn || state.serverName !== context.serverName) return undefined;
  if (!checkBinder(context.suite, state.psk, before, raw, offered))
    throw cryptoError(TLS_ALERT.DECRYPT_ERROR, 'the PSK binder does not verify');
  return { psk: state.psk, state, ticket: offered.identity.identity };
}

/**
 * Whether the server takes the 0-RTT data of a resumed ClientHello that asks for it
 * (RFC 8446 §4.2.10, RFC 9001 §4.6.2): 0-RTT is on, the ticket allows it and was issued under
 * the same settings, the cipher suite is the session's, no HelloRetryRequest came between, and
 * the ticket was not used for early data before (anti-replay).
 */
export function acceptsEarlyData(
  settings: TicketSettings,
  resumption: Resumption,
  hello: ClientHello,
  suite: CipherSuite,
  isRetried: boolean,
): boolean {
  const early = settings.earlyData;
  const { state } = resumption;
  if (
    early === undefined ||
    isRetried ||
    !hello.extensions.has(EXTENSION.EARLY_DATA) ||
    state.earlyDataContext === undefined ||
    Buffer.compare(state.earlyDataContext, early.context) !== 0 ||
    state.cipherSuite !== suite.code
  )
    return false;
  return early.guard.consume(resumption.ticket, state.issuedAt + state.lifetimeS * 1000);
}

/** A NewSessionTicket message for the session `schedule` finished (client Finished included). */
export function issueTicket(
  settings: TicketSettings,
  schedule: KeySchedule,
  alpn: string,
  serverName: string | undefined,
): Uint8Array {
  // One ticket per connection, so a constant nonce still gives each ticket its own PSK.
  const nonce = Uint8Array.of(0);
  const ageAdd = randomBytes(4).readUInt32BE(0);
  const issuedAt = Date.now();
  const { lifetimeS, earlyData } = settings;
  const ticket = settings.keys.seal({
    cipherSuite: schedule.suite.code,
    psk: schedule.resumptionPsk(nonce),
    issuedAt,
    ageAdd,
    lifetimeS,
    serverName,
    alpn,
    earlyDataContext: earlyData?.context,
  });
  const maxEarlyData = earlyData === undefined ? 0 : QUIC_MAX_EARLY_DATA;
  return handshakeMessage(
    HANDSHAKE_TYPE.NEW_SESSION_TICKET,
    encodeNewSessionTicket({ lifetimeS, ageAdd, nonce, ticket, maxEarlyData }),
  );
}
