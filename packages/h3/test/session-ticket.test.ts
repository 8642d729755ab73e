import { describe, expect, it } from 'vitest';
import { TRANSPORT_ERROR } from '../src/errors.js';
import { checkRememberedLimits } from '../src/quic/early-data.js';
import { ReplayGuard } from '../src/quic/tls/replay-guard.js';
import {
  encodeNewSessionTicket,
  parseNewSessionTicket,
  QUIC_MAX_EARLY_DATA,
} from '../src/quic/tls/session-ticket.js';
import { TicketKeys, type TicketState } from '../src/quic/tls/ticket-keys.js';
import { DEFAULT_PARAMETERS } from '../src/quic/transport-parameters.js';

const STATE: TicketState = {
  cipherSuite: 0x1301,
  psk: new Uint8Array(32).fill(7),
  issuedAt: 1_700_000_000_123,
  ageAdd: 0xfedcba98,
  lifetimeS: 3600,
  serverName: 'example.test',
  alpn: 'h3',
  earlyDataContext: Uint8Array.of(1, 2, 3),
};

describe('session tickets (RFC 8446 §4.6.1)', () => {
  it('NewSessionTicket round-trips, with and without early_data', () => {
    for (const maxEarlyData of [0, QUIC_MAX_EARLY_DATA]) {
      const message = {
        lifetimeS: 86_400,
        ageAdd: 0x01020304,
        nonce: Uint8Array.of(0),
        ticket: Uint8Array.of(9, 8, 7),
        maxEarlyData,
      };
      expect(parseNewSessionTicket(encodeNewSessionTicket(message))).toEqual(message);
    }
  });

  it('refuses a lifetime over seven days and a QUIC max_early_data_size other than 0xffffffff', () => {
    const base = { ageAdd: 1, nonce: Uint8Array.of(0), ticket: Uint8Array.of(1) };
    expect(() =>
      parseNewSessionTicket(
        encodeNewSessionTicket({ ...base, lifetimeS: 604_801, maxEarlyData: 0 }),
      ),
    ).toThrow(/exceeds seven days/);
    expect(() =>
      parseNewSessionTicket(
        encodeNewSessionTicket({ ...base, lifetimeS: 60, maxEarlyData: 16_384 }),
      ),
    ).toThrow(expect.objectContaining({ transportCode: TRANSPORT_ERROR.PROTOCOL_VIOLATION }));
  });

  it('a sealed ticket opens to the same state, and a changed byte makes it unreadable', () => {
    const keys = new TicketKeys(60_000, 0);
    const ticket = keys.seal(STATE, 0);
    expect(keys.open(ticket, 1)).toEqual(STATE);
    for (const at of [0, 10, ticket.length - 1]) {
      const bad = ticket.slice();
      bad[at]! ^= 0x80;
      expect(keys.open(bad, 1)).toBeUndefined();
    }
    expect(keys.open(ticket.subarray(0, 20), 1)).toBeUndefined();
  });

  it('the key rotates: a ticket opens through one rotation, not two', () => {
    const keys = new TicketKeys(1_000, 0);
    const ticket = keys.seal({ ...STATE, serverName: undefined, earlyDataContext: undefined }, 0);
    expect(keys.open(ticket, 1_500)?.serverName).toBeUndefined();
    expect(keys.open(ticket, 2_600)).toBeUndefined();
    expect(new TicketKeys(1_000, 0).open(ticket, 0)).toBeUndefined();
  });
});

describe('0-RTT anti-replay (single-use tickets)', () => {
  it('takes a ticket once, forgets it when it expires, and refuses all when full', () => {
    const guard = new ReplayGuard(2);
    const a = Uint8Array.of(1);
    expect(guard.consume(a, 100, 0)).toBe(true);
    expect(guard.consume(a, 100, 50)).toBe(false);
    expect(guard.consume(Uint8Array.of(2), 200, 60)).toBe(true);
    // Full: a new ticket gets no 0-RTT rather than an unchecked one.
    expect(guard.consume(Uint8Array.of(3), 300, 70)).toBe(false);
    // Once the first ticket expired it leaves, and there is room again.
    expect(guard.consume(Uint8Array.of(3), 300, 150)).toBe(true);
  });
});

describe('remembered transport parameters (RFC 9000 §7.4.1)', () => {
  it('a server that accepted 0-RTT may raise its limits but not lower them', () => {
    const remembered = { ...DEFAULT_PARAMETERS, initialMaxData: 1000, initialMaxStreamsBidi: 10 };
    expect(() =>
      checkRememberedLimits(remembered, { ...remembered, initialMaxData: 2000 }),
    ).not.toThrow();
    expect(() =>
      checkRememberedLimits(remembered, { ...remembered, initialMaxStreamsBidi: 9 }),
    ).toThrow(/lowered initialMaxStreamsBidi from 10 to 9/);
  });
});
