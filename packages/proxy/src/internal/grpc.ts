/**
 * gRPC over the proxy: which requests are gRPC calls, their `grpc-timeout`, and the
 * "trailers-only" answer a gRPC client understands when the upstream exchange fails.
 */
import { Headers, type Request, type Response } from '@rws/core';
import type { ProxyErrorCode } from '../errors.js';

/** gRPC status codes the proxy answers with (grpc/doc/statuscodes.md). */
const GRPC_STATUS = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const GRPC_STATUS_OF: Record<ProxyErrorCode, number> = {
  RWS_PROXY_INVALID_OPTIONS: GRPC_STATUS.INTERNAL,
  RWS_PROXY_NO_BACKEND: GRPC_STATUS.UNAVAILABLE,
  RWS_PROXY_CONNECT_FAILED: GRPC_STATUS.UNAVAILABLE,
  RWS_PROXY_CONNECT_TIMEOUT: GRPC_STATUS.UNAVAILABLE,
  RWS_PROXY_HEADERS_TIMEOUT: GRPC_STATUS.DEADLINE_EXCEEDED,
  RWS_PROXY_BODY_TIMEOUT: GRPC_STATUS.DEADLINE_EXCEEDED,
  RWS_PROXY_TOTAL_TIMEOUT: GRPC_STATUS.DEADLINE_EXCEEDED,
  RWS_PROXY_INVALID_RESPONSE: GRPC_STATUS.INTERNAL,
  RWS_PROXY_UPSTREAM_RESET: GRPC_STATUS.UNAVAILABLE,
  RWS_PROXY_CLIENT_ABORTED: GRPC_STATUS.CANCELLED,
  RWS_PROXY_REQUEST_BODY_FAILED: GRPC_STATUS.INTERNAL,
};

/** True for `content-type: application/grpc` and its `+proto`/`+json`/`;…` variants. */
export function isGrpcRequest(req: Request): boolean {
  const type = req.headers.get('content-type');
  if (type === null || type.length < 16) return false;
  if (type.slice(0, 16).toLowerCase() !== 'application/grpc') return false;
  const next = type.charCodeAt(16);
  // Exactly the type, or followed by `+subtype` / `;params` / whitespace.
  return Number.isNaN(next) || next === 43 || next === 59 || next === 32 || next === 9;
}

const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000_001,
};

/**
 * The `grpc-timeout` of a request in ms (`1S`, `250m`, `100u`: at most 8 digits and a unit),
 * or null when absent or malformed (a malformed one is ignored, like grpc-go does).
 */
function grpcTimeoutMs(req: Request): number | null {
  const raw = req.headers.get('grpc-timeout');
  if (raw === null || raw.length < 2 || raw.length > 9) return null;
  const unit = UNIT_MS[raw[raw.length - 1]!];
  const digits = raw.slice(0, -1);
  if (unit === undefined) return null;
  for (let i = 0; i < digits.length; i++) {
    const c = digits.charCodeAt(i);
    if (c < 48 || c > 57) return null;
  }
  return Math.ceil(Number(digits) * unit);
}

/** The deadline of an exchange: the proxy's `totalMs`, shortened by a gRPC `grpc-timeout`. */
export function exchangeDeadlineMs(totalMs: number | null, req: Request): number | null {
  const grpc = isGrpcRequest(req) ? grpcTimeoutMs(req) : null;
  if (grpc === null) return totalMs;
  return totalMs === null ? grpc : Math.min(totalMs, grpc);
}

/** `grpc-message` is percent-encoded outside printable ASCII (and `%` itself). */
function encodeGrpcMessage(message: string): string {
  let out = '';
  for (const byte of new TextEncoder().encode(message)) {
    out +=
      byte >= 0x20 && byte <= 0x7e && byte !== 0x25
        ? String.fromCharCode(byte)
        : `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
  }
  return out;
}

/** The gRPC status and message trailers for a proxy failure. */
export function grpcStatusFields(code: ProxyErrorCode, message: string): Headers {
  return new Headers({
    'grpc-status': String(GRPC_STATUS_OF[code]),
    'grpc-message': encodeGrpcMessage(message),
  });
}

/**
 * A failed gRPC call as gRPC clients expect it: HTTP 200 and a "trailers-only" response whose
 * one header block carries `grpc-status` and `grpc-message` (an HTTP 502 body would surface
 * as a vague UNKNOWN/INTERNAL error in the client).
 */
export function grpcFailure(code: ProxyErrorCode, message: string): Response {
  const headers = grpcStatusFields(code, message);
  headers.set('content-type', 'application/grpc');
  return { status: 200, headers, body: null };
}
