import { createHash, timingSafeEqual } from 'node:crypto';
import { cryptoError, TLS_ALERT } from '../../errors.js';
import { ByteWriter } from '../byte-writer.js';
import type { CipherSuite } from '../crypto/cipher-suite.js';
import { hashLength } from '../crypto/hkdf.js';
import { tlsReader } from './handshake-codec.js';
import { KeySchedule } from './key-schedule.js';

/**
 * The pre_shared_key and psk_key_exchange_modes extensions of a resumption handshake, and
 * the PSK binder that ties the ClientHello to the PSK.
 * @see RFC 8446 §4.2.9, §4.2.11, §4.2.11.2
 */

/** psk_dhe_ke: resume with a PSK and still run (EC)DHE, so sessions keep forward secrecy. */
const PSK_DHE_KE = 1;

/** psk_key_exchange_modes offering only psk_dhe_ke (psk_ke would lose forward secrecy). */
export function encodePskModes(): Uint8Array {
  return Uint8Array.of(1, PSK_DHE_KE);
}

/** Whether a ClientHello's psk_key_exchange_modes body allows psk_dhe_ke. */
export function allowsPskDheKe(body: Uint8Array | undefined): boolean {
  if (body === undefined) return false;
  const r = tlsReader(body, 'psk_key_exchange_modes');
  const modes = r.bytes(r.u8(), 'the modes');
  return modes.includes(PSK_DHE_KE);
}

/** One offered PSK identity. */
export interface PskIdentity {
  readonly identity: Uint8Array;
  readonly obfuscatedAge: number;
}

/**
 * The client's pre_shared_key body with one identity and a zero binder of the suite's hash
 * length; `fillBinder` writes the real binder once the ClientHello around it is encoded.
 */
export function encodeOfferedPsk(identity: PskIdentity, suite: CipherSuite): Uint8Array {
  const binderLength = hashLength(suite.hash);
  const w = new ByteWriter(identity.identity.length + binderLength + 16);
  w.u16(identity.identity.length + 6)
    .u16(identity.identity.length)
    .bytes(identity.identity)
    .u32(identity.obfuscatedAge >>> 0);
  w.u16(binderLength + 1)
    .u8(binderLength)
    .bytes(new Uint8Array(binderLength));
  return w.finish();
}

/** Bytes at the end of a ClientHello taken by a binders list of one binder of `suite`. */
function bindersLength(suite: CipherSuite): number {
  return 3 + hashLength(suite.hash);
}

/**
 * The PSK binder: the Finished-style HMAC, keyed from the PSK's binder_key, over the
 * transcript up to the ClientHello without its binders (after a HelloRetryRequest, the
 * messages before it too).
 */
function computeBinder(
  suite: CipherSuite,
  psk: Uint8Array,
  before: readonly Uint8Array[],
  truncatedHello: Uint8Array,
): Uint8Array {
  const schedule = new KeySchedule(suite, psk);
  const transcript = createHash(suite.hash);
  for (const message of before) transcript.update(message);
  transcript.update(truncatedHello);
  return schedule.finishedVerifyData(schedule.binderKey(), transcript.digest());
}

/** Writes the binder into the last bytes of an encoded ClientHello message (in place). */
export function fillBinder(
  clientHello: Uint8Array,
  suite: CipherSuite,
  psk: Uint8Array,
  before: readonly Uint8Array[],
): void {
  const truncated = clientHello.subarray(0, clientHello.length - bindersLength(suite));
  const binder = computeBinder(suite, psk, before, truncated);
  clientHello.set(binder, clientHello.length - binder.length);
}

/** A ClientHello's pre_shared_key as the server reads it: the first identity and its binder. */
export interface OfferedPsk {
  readonly identity: PskIdentity;
  readonly binder: Uint8Array;
  /** Length of the binders list at the end of the ClientHello (to truncate it). */
  readonly bindersBytes: number;
}

/** Parses a ClientHello pre_shared_key body; identities and binders must pair up. */
export function parseOfferedPsk(body: Uint8Array): OfferedPsk {
  const r = tlsReader(body, 'pre_shared_key');
  const identities = r.sub(r.u16(), 'the identities');
  const bindersBytes = r.remaining;
  const binders = r.sub(r.u16(), 'the binders');
  if (r.remaining !== 0) throw r.fail('trailing bytes');
  const ids: PskIdentity[] = [];
  while (identities.remaining > 0) {
    const identity = identities.bytes(identities.u16(), 'an identity');
    ids.push({ identity, obfuscatedAge: identities.u32('obfuscated_ticket_age') });
  }
  const list: Uint8Array[] = [];
  while (binders.remaining > 0) list.push(binders.bytes(binders.u8(), 'a binder'));
  if (ids.length === 0 || ids.length !== list.length)
    throw cryptoError(TLS_ALERT.ILLEGAL_PARAMETER, 'pre_shared_key identities and binders differ');
  return { identity: ids[0]!, binder: list[0]!, bindersBytes };
}

/** Whether `binder` is the right one for the ClientHello message `raw` (constant time). */
export function checkBinder(
  suite: CipherSuite,
  psk: Uint8Array,
  before: readonly Uint8Array[],
  raw: Uint8Array,
  offered: OfferedPsk,
): boolean {
  const truncated = raw.subarray(0, raw.length - offered.bindersBytes);
  const expected = computeBinder(suite, psk, before, truncated);
  return expected.length === offered.binder.length && timingSafeEqual(expected, offered.binder);
}

/** The server's pre_shared_key body: the index of the identity it took (always 0 here). */
export function encodeSelectedPsk(index: number): Uint8Array {
  return Uint8Array.of(index >> 8, index & 0xff);
}

export function parseSelectedPsk(body: Uint8Array): number {
  const r = tlsReader(body, 'pre_shared_key');
  const index = r.u16('selected_identity');
  if (r.remaining !== 0) throw r.fail('trailing bytes');
  return index;
}
