import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { QuicError } from '../src/errors.js';
import { deriveInitialKeys } from '../src/quic/crypto/initial-secrets.js';
import { parseFrames } from '../src/quic/frame-parser.js';
import { parsePacketHeader } from '../src/quic/packet-header.js';
import { unprotectPacket } from '../src/quic/packet-protection.js';
import { decodeTransportParameters } from '../src/quic/transport-parameters.js';
import { QUIC_V1, versionProfile } from '../src/quic/version.js';
import { hex } from './helpers.js';
import { V1_CLIENT_INITIAL } from './rfc9001-vectors.js';

/** Runs `fn`; anything thrown must be our QuicError. */
function onlyQuicErrors(fn: () => unknown): void {
  try {
    fn();
  } catch (err) {
    if (!(err instanceof QuicError)) throw err;
  }
}

// Valid frame prefixes so mutations reach deep into every frame parser, not just the type byte.
const SEEDS = [
  '0200050001020304',
  '03000a0000010203',
  '04010203',
  '0600054142434445',
  '0703aabbcc',
  '0f04054161',
  '18010208a1a2a3a4a5a6a7a8' + '00'.repeat(16),
  '1c0a0803626164',
  '1d0103626164',
  '1a0001020304050607',
].map(hex);

const mutated = fc
  .tuple(
    fc.constantFrom(...SEEDS),
    fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { maxLength: 4 }),
    fc.nat(20),
  )
  .map(([seed, edits, cut]) => {
    const b = Uint8Array.from(seed);
    for (const [at, value] of edits) b[at % b.length] = value;
    return b.subarray(0, Math.max(1, b.length - cut));
  });

describe('parsers never throw anything but QuicError (fuzz)', () => {
  it('parseFrames on random bytes, every packet kind', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom('initial', 'handshake', '0rtt', '1rtt'),
        (bytes, kind) => {
          onlyQuicErrors(() => parseFrames(bytes, kind as 'initial'));
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('parseFrames on mutated valid frames', () => {
    fc.assert(
      fc.property(mutated, (bytes) => onlyQuicErrors(() => parseFrames(bytes, '1rtt'))),
      { numRuns: 3000 },
    );
  });

  it('decodeTransportParameters on random bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), fc.boolean(), (bytes, fromClient) => {
        onlyQuicErrors(() => decodeTransportParameters(bytes, fromClient ? 'client' : 'server'));
      }),
      { numRuns: 3000 },
    );
  });

  it('parsePacketHeader returns null or a header whose bounds lie inside the datagram', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 80 }),
        fc.integer({ min: 0, max: 20 }),
        (bytes, cidLength) => {
          const header = parsePacketHeader(bytes, 0, cidLength);
          if (header === null) return;
          expect(header.end).toBeLessThanOrEqual(bytes.length);
          if (header.form === 'long' || header.form === 'short') {
            expect(header.pnOffset + 20).toBeLessThanOrEqual(header.end);
          }
        },
      ),
      { numRuns: 3000 },
    );
  });

  it('unprotectPacket drops corrupted Initials instead of throwing', () => {
    const keys = deriveInitialKeys(versionProfile(QUIC_V1)!, hex('8394c8f03e515708')).client;
    const vector = hex(V1_CLIENT_INITIAL);
    fc.assert(
      fc.property(fc.nat(1199), fc.integer({ min: 1, max: 255 }), (at, xor) => {
        const buf = Uint8Array.from(vector);
        buf[at] = buf[at]! ^ xor;
        const header = parsePacketHeader(buf, 0, 0);
        if (header?.form !== 'long') return;
        // Changing any byte the AEAD covers makes authentication fail.
        expect(unprotectPacket(keys, buf, 0, header.pnOffset, header.end, -1)).toBe(null);
      }),
      { numRuns: 200 },
    );
  });
});
