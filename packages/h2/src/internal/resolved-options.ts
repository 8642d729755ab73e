import { Headers, RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import type { Http2ServerOptions } from '../h2-server.js';

/** `Http2ServerOptions` with every default applied. */
export interface ResolvedH2Options {
  maxConcurrentStreams: number;
  initialWindowSize: number;
  maxHeaderListSize: number;
  maxHeaderBlockBytes: number;
  maxContinuationFrames: number;
  maxBodyBytes: number;
  maxStreamResets: number;
  streamResetWindowMs: number;
  maxControlFramesPerSecond: number;
  idleTimeoutMs: number;
  sendTimeoutMs: number;
  pingIntervalMs: number;
  enableConnectProtocol: boolean;
  serverHeader: string | false;
}

function int(
  name: string,
  value: number | undefined,
  fallback: number,
  min: number,
  max: number,
): number {
  if (value === undefined) return fallback;
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new RwsError(
      ERROR_CODES.INVALID_OPTIONS,
      `${name} must be an integer from ${min} to ${max}, got ${String(value)}`,
    );
  }
  return value;
}

/** Validates options; throws `RWS_H2_INVALID_OPTIONS` naming the first bad one. */
export function resolveOptions(o: Http2ServerOptions): ResolvedH2Options {
  const maxHeaderListSize = int(
    'maxHeaderListSize',
    o.maxHeaderListSize,
    64 * 1024,
    1024,
    16 * 1024 * 1024,
  );
  return {
    maxConcurrentStreams: int('maxConcurrentStreams', o.maxConcurrentStreams, 100, 1, 1_000_000),
    initialWindowSize: int('initialWindowSize', o.initialWindowSize, 256 * 1024, 65535, 0x7fffffff),
    maxHeaderListSize,
    maxHeaderBlockBytes: Math.max(16 * 1024, maxHeaderListSize),
    maxContinuationFrames: int('maxContinuationFrames', o.maxContinuationFrames, 32, 1, 100_000),
    maxBodyBytes: int('maxBodyBytes', o.maxBodyBytes, 1024 * 1024, 0, Number.MAX_SAFE_INTEGER),
    maxStreamResets: int('maxStreamResets', o.maxStreamResets, 200, 1, 1_000_000),
    streamResetWindowMs: int('streamResetWindowMs', o.streamResetWindowMs, 10_000, 1, 3_600_000),
    maxControlFramesPerSecond: int(
      'maxControlFramesPerSecond',
      o.maxControlFramesPerSecond,
      1000,
      1,
      1_000_000,
    ),
    idleTimeoutMs: int('idleTimeoutMs', o.idleTimeoutMs, 60_000, 1, 86_400_000),
    sendTimeoutMs: int('sendTimeoutMs', o.sendTimeoutMs, 60_000, 1, 86_400_000),
    pingIntervalMs: int('pingIntervalMs', o.pingIntervalMs, 0, 0, 86_400_000),
    enableConnectProtocol: o.enableConnectProtocol ?? false,
    serverHeader: serverHeader(o.serverHeader),
  };
}

/**
 * Checked as any header value (no CR/LF, no char above 0xFF; `RWS_CORE_INVALID_HEADER`), as
 * @rws/http1 does: it joins every response's fields, which HPACK encodes without a check.
 */
function serverHeader(value: string | false | undefined): string | false {
  if (value === undefined || value === false) return false;
  new Headers().set('server', value);
  return value;
}
