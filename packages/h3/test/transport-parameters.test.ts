import { describe, expect, it } from 'vitest';
import { QuicError, TRANSPORT_ERROR } from '../src/errors.js';
import {
  DEFAULT_PARAMETERS,
  decodeTransportParameters,
  encodeTransportParameters,
  type TransportParameters,
} from '../src/quic/transport-parameters.js';
import { MAX_VARINT } from '../src/quic/varint.js';
import { hex, toHex } from './helpers.js';

describe('transport parameters (RFC 9000 §18)', () => {
  it('decodes the parameters of the RFC 9001 A.2 ClientHello', () => {
    const params = decodeTransportParameters(
      hex(
        '0408ffffffffffffffff05048000ffff07048000ffff0801100104800075300901100f088394c8f03e51570806048000ffff',
      ),
      'client',
    );
    expect(params.initialMaxData).toBe(MAX_VARINT);
    expect(params.initialMaxStreamDataBidiLocal).toBe(65535);
    expect(params.initialMaxStreamDataBidiRemote).toBe(65535);
    expect(params.initialMaxStreamDataUni).toBe(65535);
    expect(params.initialMaxStreamsBidi).toBe(16);
    expect(params.initialMaxStreamsUni).toBe(16);
    expect(params.maxIdleTimeout).toBe(30000);
    expect(toHex(params.initialSourceConnectionId!)).toBe('8394c8f03e515708');
    expect(params.ackDelayExponent).toBe(DEFAULT_PARAMETERS.ackDelayExponent);
  });

  it('round-trips every parameter a server may send', () => {
    const params: TransportParameters = {
      ...DEFAULT_PARAMETERS,
      originalDestinationConnectionId: hex('0102030405060708'),
      maxIdleTimeout: 30000,
      statelessResetToken: new Uint8Array(16).fill(7),
      maxUdpPayloadSize: 1472,
      initialMaxData: 1 << 20,
      initialMaxStreamDataBidiLocal: 1 << 18,
      initialMaxStreamDataBidiRemote: 1 << 18,
      initialMaxStreamDataUni: 1 << 16,
      initialMaxStreamsBidi: 100,
      initialMaxStreamsUni: 3,
      ackDelayExponent: 8,
      maxAckDelay: 20,
      disableActiveMigration: true,
      preferredAddress: {
        ipv4: hex('7f000001'),
        ipv4Port: 4433,
        ipv6: new Uint8Array(16),
        ipv6Port: 4434,
        connectionId: hex('aabbccdd'),
        resetToken: new Uint8Array(16).fill(1),
      },
      activeConnectionIdLimit: 4,
      initialSourceConnectionId: hex('a1a2a3a4'),
      retrySourceConnectionId: hex('b1b2'),
      versionInformation: { chosen: 1, available: [1, 0x6b3343cf] },
    };
    expect(decodeTransportParameters(encodeTransportParameters(params), 'server')).toEqual(params);
  });

  it('ignores unknown and reserved parameters', () => {
    // id 27 (31*0+27, reserved) with 2 bytes, then initial_max_data 10.
    expect(decodeTransportParameters(hex('1b02abcd 04010a'), 'client').initialMaxData).toBe(10);
  });

  it.each([
    ['a duplicate parameter', '04010a04010b', 'client'],
    ['original_destination_connection_id from a client', '000401020304', 'client'],
    ['stateless_reset_token from a client', '0210' + '00'.repeat(16), 'client'],
    ['a 15-byte stateless_reset_token', '020f' + '00'.repeat(15), 'server'],
    ['max_udp_payload_size below 1200', '0302443f', 'server'],
    ['ack_delay_exponent above 20', '0a0115', 'server'],
    ['max_ack_delay of 2^14', '0b0480004000', 'server'],
    ['active_connection_id_limit below 2', '0e0101', 'server'],
    ['initial_max_streams_bidi above 2^60', '0808e000000000000000', 'server'],
    ['a value with trailing bytes', '04020a0b', 'server'],
    ['a length past the end', '0405 0a', 'server'],
    ['non-empty disable_active_migration', '0c0100', 'server'],
    ['a 21-byte connection id', '0f15' + '00'.repeat(21), 'server'],
    ['version_information with version 0', '110400000000', 'server'],
  ] as const)('rejects %s with TRANSPORT_PARAMETER_ERROR', (_name, bytes, sender) => {
    let caught: unknown;
    try {
      decodeTransportParameters(hex(bytes), sender);
    } catch (err) {
      caught = err;
    }
    expect(caught).toBeInstanceOf(QuicError);
    expect((caught as QuicError).transportCode).toBe(TRANSPORT_ERROR.TRANSPORT_PARAMETER_ERROR);
  });
});
