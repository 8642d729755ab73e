import { TRANSPORT_ERROR, transportError } from '../errors.js';
import { ByteReader } from './byte-reader.js';
import { ByteWriter } from './byte-writer.js';
import { MAX_CID_LENGTH } from './packet-header.js';

/**
 * QUIC transport parameters, carried in the TLS quic_transport_parameters extension.
 * @see RFC 9000 §18, RFC 9368 §3 (version_information)
 */

/** The server's preferred address for migration after the handshake. */
interface PreferredAddress {
  readonly ipv4: Uint8Array;
  readonly ipv4Port: number;
  readonly ipv6: Uint8Array;
  readonly ipv6Port: number;
  readonly connectionId: Uint8Array;
  readonly resetToken: Uint8Array;
}

/** All version 1 transport parameters; absent ones take the defaults in DEFAULT_PARAMETERS. */
export interface TransportParameters {
  /** Server only: the DCID of the client's first Initial. */
  originalDestinationConnectionId?: Uint8Array;
  /** Milliseconds; 0 means no idle timeout. */
  maxIdleTimeout: number;
  /** Server only. */
  statelessResetToken?: Uint8Array;
  maxUdpPayloadSize: number;
  initialMaxData: number;
  initialMaxStreamDataBidiLocal: number;
  initialMaxStreamDataBidiRemote: number;
  initialMaxStreamDataUni: number;
  initialMaxStreamsBidi: number;
  initialMaxStreamsUni: number;
  ackDelayExponent: number;
  /** Milliseconds. */
  maxAckDelay: number;
  disableActiveMigration: boolean;
  /** Server only. */
  preferredAddress?: PreferredAddress;
  activeConnectionIdLimit: number;
  initialSourceConnectionId?: Uint8Array;
  /** Server only, after a Retry. */
  retrySourceConnectionId?: Uint8Array;
  /** RFC 9368: the version in use and the versions the sender would accept. */
  versionInformation?: { chosen: number; available: readonly number[] };
}

/** The values an absent parameter means (RFC 9000 §18.2). */
export const DEFAULT_PARAMETERS: Readonly<TransportParameters> = {
  maxIdleTimeout: 0,
  maxUdpPayloadSize: 65527,
  initialMaxData: 0,
  initialMaxStreamDataBidiLocal: 0,
  initialMaxStreamDataBidiRemote: 0,
  initialMaxStreamDataUni: 0,
  initialMaxStreamsBidi: 0,
  initialMaxStreamsUni: 0,
  ackDelayExponent: 3,
  maxAckDelay: 25,
  disableActiveMigration: false,
  activeConnectionIdLimit: 2,
};

const ID = {
  originalDestinationConnectionId: 0x00,
  maxIdleTimeout: 0x01,
  statelessResetToken: 0x02,
  maxUdpPayloadSize: 0x03,
  initialMaxData: 0x04,
  initialMaxStreamDataBidiLocal: 0x05,
  initialMaxStreamDataBidiRemote: 0x06,
  initialMaxStreamDataUni: 0x07,
  initialMaxStreamsBidi: 0x08,
  initialMaxStreamsUni: 0x09,
  ackDelayExponent: 0x0a,
  maxAckDelay: 0x0b,
  disableActiveMigration: 0x0c,
  preferredAddress: 0x0d,
  activeConnectionIdLimit: 0x0e,
  initialSourceConnectionId: 0x0f,
  retrySourceConnectionId: 0x10,
  versionInformation: 0x11,
} as const;

type IntegerName =
  | 'maxIdleTimeout'
  | 'maxUdpPayloadSize'
  | 'initialMaxData'
  | 'initialMaxStreamDataBidiLocal'
  | 'initialMaxStreamDataBidiRemote'
  | 'initialMaxStreamDataUni'
  | 'initialMaxStreamsBidi'
  | 'initialMaxStreamsUni'
  | 'ackDelayExponent'
  | 'maxAckDelay'
  | 'activeConnectionIdLimit';

const INTEGER_NAMES: readonly IntegerName[] = [
  'maxIdleTimeout',
  'maxUdpPayloadSize',
  'initialMaxData',
  'initialMaxStreamDataBidiLocal',
  'initialMaxStreamDataBidiRemote',
  'initialMaxStreamDataUni',
  'initialMaxStreamsBidi',
  'initialMaxStreamsUni',
  'ackDelayExponent',
  'maxAckDelay',
  'activeConnectionIdLimit',
];

const SERVER_ONLY = new Set<number>([
  ID.originalDestinationConnectionId,
  ID.statelessResetToken,
  ID.preferredAddress,
  ID.retrySourceConnectionId,
]);

/**
 * Encodes transport parameters, leaving out integers equal to their default.
 */
export function encodeTransportParameters(params: TransportParameters): Uint8Array {
  const w = new ByteWriter(128);
  const bytesParam = (id: number, value: Uint8Array | undefined): void => {
    if (value !== undefined) w.varint(id).varint(value.length).bytes(value);
  };
  bytesParam(ID.originalDestinationConnectionId, params.originalDestinationConnectionId);
  bytesParam(ID.statelessResetToken, params.statelessResetToken);
  for (const name of INTEGER_NAMES) {
    const value = params[name];
    if (value === DEFAULT_PARAMETERS[name]) continue;
    const inner = new ByteWriter(8).varint(value).view();
    w.varint(ID[name]).varint(inner.length).bytes(inner);
  }
  if (params.disableActiveMigration) w.varint(ID.disableActiveMigration).varint(0);
  if (params.preferredAddress) {
    const a = params.preferredAddress;
    const inner = new ByteWriter(64)
      .bytes(a.ipv4)
      .u16(a.ipv4Port)
      .bytes(a.ipv6)
      .u16(a.ipv6Port)
      .u8(a.connectionId.length)
      .bytes(a.connectionId)
      .bytes(a.resetToken)
      .view();
    w.varint(ID.preferredAddress).varint(inner.length).bytes(inner);
  }
  bytesParam(ID.initialSourceConnectionId, params.initialSourceConnectionId);
  bytesParam(ID.retrySourceConnectionId, params.retrySourceConnectionId);
  if (params.versionInformation) {
    const inner = new ByteWriter(16).u32(params.versionInformation.chosen);
    for (const v of params.versionInformation.available) inner.u32(v);
    const bytes = inner.view();
    w.varint(ID.versionInformation).varint(bytes.length).bytes(bytes);
  }
  return w.finish();
}

/**
 * Decodes the peer's transport parameters and checks every value. `sender` is the role of the
 * peer that sent them: a client may not send the server-only ones. Throws QuicError with
 * TRANSPORT_PARAMETER_ERROR on any violation, and nothing else.
 */
export function decodeTransportParameters(
  bytes: Uint8Array,
  sender: 'client' | 'server',
): TransportParameters {
  let current = 'transport parameters';
  const r = new ByteReader(bytes, (message) =>
    transportError(TRANSPORT_ERROR.TRANSPORT_PARAMETER_ERROR, `${current}: ${message}`),
  );
  const params: TransportParameters = { ...DEFAULT_PARAMETERS };
  const seen = new Set<number>();
  while (r.remaining > 0) {
    const id = r.varint('a parameter id');
    const value = r.sub(r.varint('a parameter length'), 'a parameter value');
    current = `transport parameter 0x${id.toString(16)}`;
    if (seen.has(id)) throw r.fail('appears twice');
    seen.add(id);
    if (sender === 'client' && SERVER_ONLY.has(id)) throw r.fail('may only be sent by a server');
    const integerName = INTEGER_NAMES.find((n) => ID[n] === id);
    if (integerName !== undefined) {
      const v = value.varint('the value');
      if (value.remaining !== 0) throw r.fail('has bytes after its value');
      checkInteger(integerName, v, r);
      params[integerName] = v;
      continue;
    }
    switch (id) {
      case ID.originalDestinationConnectionId:
        params.originalDestinationConnectionId = connectionId(value, r);
        break;
      case ID.initialSourceConnectionId:
        params.initialSourceConnectionId = connectionId(value, r);
        break;
      case ID.retrySourceConnectionId:
        params.retrySourceConnectionId = connectionId(value, r);
        break;
      case ID.statelessResetToken:
        if (value.remaining !== 16) throw r.fail('is not 16 bytes');
        params.statelessResetToken = value.bytes(16);
        break;
      case ID.disableActiveMigration:
        if (value.remaining !== 0) throw r.fail('must be empty');
        params.disableActiveMigration = true;
        break;
      case ID.preferredAddress: {
        const ipv4 = value.bytes(4, 'the IPv4 address');
        const ipv4Port = value.u16('the IPv4 port');
        const ipv6 = value.bytes(16, 'the IPv6 address');
        const ipv6Port = value.u16('the IPv6 port');
        const cidLength = value.u8('the connection id length');
        if (cidLength < 1 || cidLength > MAX_CID_LENGTH)
          throw r.fail(`connection id length ${cidLength} is outside 1-20`);
        const cid = value.bytes(cidLength, 'the connection id');
        const resetToken = value.bytes(16, 'the reset token');
        if (value.remaining !== 0) throw r.fail('has trailing bytes');
        params.preferredAddress = { ipv4, ipv4Port, ipv6, ipv6Port, connectionId: cid, resetToken };
        break;
      }
      case ID.versionInformation: {
        if (value.remaining < 4 || value.remaining % 4 !== 0)
          throw r.fail('is not a list of 32-bit versions');
        const chosen = value.u32();
        if (chosen === 0) throw r.fail('chooses version 0');
        const available: number[] = [];
        while (value.remaining > 0) available.push(value.u32());
        params.versionInformation = { chosen, available };
        break;
      }
      default:
        // Unknown parameters (and reserved 31 * N + 27 ones) are ignored (RFC 9000 §18.1).
        break;
    }
  }
  return params;
}

function connectionId(value: ByteReader, r: ByteReader): Uint8Array {
  if (value.remaining > MAX_CID_LENGTH) throw r.fail('is longer than 20 bytes');
  return value.bytes(value.remaining);
}

function checkInteger(name: IntegerName, v: number, r: ByteReader): void {
  if (name === 'maxUdpPayloadSize' && v < 1200)
    throw r.fail(`max_udp_payload_size ${v} is below 1200`);
  if (name === 'ackDelayExponent' && v > 20) throw r.fail(`ack_delay_exponent ${v} is above 20`);
  if (name === 'maxAckDelay' && v >= 2 ** 14) throw r.fail(`max_ack_delay ${v} is 2^14 or more`);
  if (name === 'activeConnectionIdLimit' && v < 2)
    throw r.fail(`active_connection_id_limit ${v} is below 2`);
  if ((name === 'initialMaxStreamsBidi' || name === 'initialMaxStreamsUni') && v > 2 ** 60) {
    throw r.fail(`${name} ${v} exceeds 2^60`);
  }
}
