import { closeSync, mkdirSync, openSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { ERROR_CODES, invalidOptions, type QuicError } from '../errors.js';
import type { Frame } from './frames.js';
import type { LossRecovery } from './loss-recovery.js';
import type { SpaceName } from './packet-space.js';
import type { PacketType } from './packet-writer.js';
import { qlogFrame } from './qlog-frames.js';
import type { TransportParameters } from './transport-parameters.js';

/** The QUIC event schema of the draft these events follow (drafts carry their number). */
const EVENT_SCHEMA = 'urn:ietf:params:qlog:events:quic-13';
/** Characters buffered before a write: a trace costs a syscall per 64 KiB, not per event. */
const FLUSH_CHARS = 64 * 1024;
const PACKET_TYPE: Readonly<Record<PacketType, string>> = {
  initial: 'initial',
  handshake: 'handshake',
  application: '1RTT',
  '0rtt': '0RTT',
};

const hex = (bytes: Uint8Array): string => Buffer.from(bytes).toString('hex');

/**
 * Creates `dir` for qlog files if needed; throws a clear error when that is not possible, so
 * a bad QLOGDIR fails when the endpoint binds rather than silently per connection.
 */
export function prepareQlogDir(dir: string): void {
  try {
    mkdirSync(dir, { recursive: true });
  } catch (err) {
    throw invalidOptions(`the qlog directory ${dir} cannot be created`, err);
  }
}

/**
 * One connection's qlog trace, written as a JSON Text Sequence (RFC 7464: each record starts
 * with RS and ends with LF) to `<dir>/<original DCID>_<role>.sqlog`, the name quic-go and
 * others use. Times are milliseconds since the connection started, on the monotonic clock.
 * Only lengths of data are logged, never payloads or keys.
 * @see draft-ietf-quic-qlog-main-schema-14, draft-ietf-quic-qlog-quic-events-13
 */
export class QlogTrace {
  /** The file this trace is written to. */
  readonly path: string;
  #fd: number | undefined;
  #buffer = '';
  readonly #start = performance.now();
  readonly #ackDelayExponent: number;
  /** The metrics last logged, so only changes are logged again. */
  readonly #metrics: Record<string, number> = {};
  #congestionState = '';

  constructor(
    dir: string,
    originalDcid: Uint8Array,
    role: 'client' | 'server',
    ackDelayExponent: number,
  ) {
    this.path = join(dir, `${hex(originalDcid)}_${role}.sqlog`);
    this.#fd = openSync(this.path, 'w');
    this.#ackDelayExponent = ackDelayExponent;
    this.#record({
      file_schema: 'urn:ietf:params:qlog:file:sequential',
      serialization_format: 'application/qlog+json-seq',
      title: `@rws/h3 QUIC ${role}`,
      trace: {
        common_fields: {
          group_id: hex(originalDcid),
          time_format: 'relative_to_epoch',
          reference_time: {
            clock_type: 'monotonic',
            epoch: 'unknown',
            wall_clock_time: new Date().toISOString(),
          },
        },
        vantage_point: { type: role },
        event_schemas: [EVENT_SCHEMA],
      },
    });
  }

  /** Starts logging a connection: its start, our parameters, and each lost packet. */
  attach(
    config: {
      readonly remote?: { readonly address: string; readonly port: number };
      readonly localParameters: TransportParameters;
    },
    recovery: LossRecovery,
  ): void {
    if (config.remote !== undefined) this.connectionStarted(config.remote);
    this.parametersSet('local', config.localParameters);
    recovery.onPacketLost = (space, packet, by) =>
      this.packetLost(space.name, packet.pn, by, packet.isMtuProbe === true);
  }

  /** Logs `quic:<name>` with `data` now. */
  event(name: string, data: Record<string, unknown>): void {
    if (this.#fd === undefined) return;
    const time = Math.round((performance.now() - this.#start) * 1000) / 1000;
    this.#record({ time, name: `quic:${name}`, data });
  }

  connectionStarted(remote: { readonly address: string; readonly port: number }): void {
    const isV6 = remote.address.includes(':');
    this.event('connection_started', {
      local: {},
      remote: isV6
        ? { ip_v6: remote.address, port_v6: remote.port }
        : { ip_v4: remote.address, port_v4: remote.port },
    });
  }

  parametersSet(owner: 'local' | 'remote', p: TransportParameters): void {
    this.event('parameters_set', {
      owner,
      max_idle_timeout: p.maxIdleTimeout,
      max_udp_payload_size: p.maxUdpPayloadSize,
      ack_delay_exponent: p.ackDelayExponent,
      max_ack_delay: p.maxAckDelay,
      active_connection_id_limit: p.activeConnectionIdLimit,
      initial_max_data: p.initialMaxData,
      initial_max_stream_data_bidi_local: p.initialMaxStreamDataBidiLocal,
      initial_max_stream_data_bidi_remote: p.initialMaxStreamDataBidiRemote,
      initial_max_stream_data_uni: p.initialMaxStreamDataUni,
      initial_max_streams_bidi: p.initialMaxStreamsBidi,
      initial_max_streams_uni: p.initialMaxStreamsUni,
    });
  }

  /** A packet sealed (`size` bytes on the wire) or opened; frames as sent or parsed. */
  packet(
    direction: 'sent' | 'received',
    type: PacketType,
    pn: number,
    frames: readonly Frame[],
    size: number,
    peerAckDelayExponent: number,
  ): void {
    if (this.#fd === undefined) return;
    const exponent = direction === 'sent' ? this.#ackDelayExponent : peerAckDelayExponent;
    this.event(`packet_${direction}`, {
      header: { packet_type: PACKET_TYPE[type], packet_number: pn },
      frames: frames.map((f) => qlogFrame(f, exponent)),
      raw: { length: size },
    });
  }

  packetLost(
    space: SpaceName,
    pn: number,
    trigger: 'reordering_threshold' | 'time_threshold',
    isMtuProbe: boolean,
  ): void {
    this.event('packet_lost', {
      header: { packet_type: PACKET_TYPE[space], packet_number: pn },
      ...(isMtuProbe ? { is_mtu_probe_packet: true } : {}),
      trigger,
    });
  }

  /** Logs the RTT and congestion metrics that changed, and the congestion state if it did. */
  recoveryUpdated(recovery: LossRecovery): void {
    if (this.#fd === undefined) return;
    const { rtt, cc } = recovery;
    const now: Record<string, number> = {
      min_rtt: rtt.min,
      smoothed_rtt: rtt.smoothed,
      latest_rtt: rtt.latest,
      rtt_variance: rtt.variance,
      pto_count: recovery.ptoCount,
      congestion_window: Math.round(cc.cwnd),
      bytes_in_flight: cc.bytesInFlight,
      ...(Number.isFinite(cc.ssthresh) ? { ssthresh: Math.round(cc.ssthresh) } : {}),
    };
    const changed: Record<string, number> = {};
    for (const [key, value] of Object.entries(now)) {
      if (!Number.isFinite(value) || this.#metrics[key] === value) continue;
      this.#metrics[key] = value;
      changed[key] = value;
    }
    if (Object.keys(changed).length > 0) this.event('recovery_metrics_updated', changed);
    const state = cc.cwnd < cc.ssthresh ? 'slow_start' : 'congestion_avoidance';
    if (state !== this.#congestionState) {
      this.event('congestion_state_updated', {
        ...(this.#congestionState ? { old: this.#congestionState } : {}),
        new: state,
      });
      this.#congestionState = state;
    }
  }

  /** The connection ended; the trace is complete and its file closed. */
  /**
   * The connection ended with `error`: `isClean` for a close without error, `isLocal` when we
   * closed it (an idle timeout counts as ours).
   */
  connectionClosed(error: QuicError, isClean: boolean, isLocal: boolean): void {
    const isIdle = error.code === ERROR_CODES.IDLE_TIMEOUT;
    this.event('connection_closed', {
      initiator: isLocal || isIdle ? 'local' : 'remote',
      ...(error.transportCode === 0 ? {} : { error_code: error.transportCode }),
      reason: error.message,
      trigger: isIdle ? 'idle_timeout' : isClean ? 'application' : 'error',
    });
    this.close();
  }

  close(): void {
    if (this.#fd === undefined) return;
    this.#flush();
    closeSync(this.#fd);
    this.#fd = undefined;
  }

  #record(value: unknown): void {
    this.#buffer += `\x1e${JSON.stringify(value)}\n`;
    if (this.#buffer.length >= FLUSH_CHARS) this.#flush();
  }

  #flush(): void {
    if (this.#fd === undefined || this.#buffer.length === 0) return;
    writeSync(this.#fd, this.#buffer);
    this.#buffer = '';
  }
}
