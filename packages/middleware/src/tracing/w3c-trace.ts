/**
 * The trace of a request when no OpenTelemetry API is in use: W3C Trace Context parsed and
 * written by our own codec, ids generated here, nothing recorded (the diagnostics channels
 * still report the request).
 */
import type { Headers, Request } from '@rws/core';
import type { RequestTrace } from './request-trace.js';
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  parseTracestate,
} from './trace-context.js';

/** Continues the caller's trace from `req`'s headers, or starts one sampled by `sample`. */
export function startW3cTrace(req: Request, sample: (req: Request) => boolean): RequestTrace {
  const lines = req.headers.getAll('traceparent');
  // Two traceparent fields are ambiguous: start over rather than guess (§3.2).
  const parent = lines.length === 1 ? parseTraceparent(lines[0]!) : null;
  const tracestate = parent === null ? null : parseTracestate(req.headers.getAll('tracestate'));
  const traceId = parent?.traceId ?? newTraceId();
  const spanId = newSpanId();
  const isSampled = parent?.isSampled ?? sample(req);
  const traceparent = formatTraceparent(traceId, spanId, isSampled);
  return {
    trace: {
      traceId,
      spanId,
      parentSpanId: parent?.parentSpanId ?? null,
      isSampled,
      tracestate,
      traceparent,
    },
    forward(headers: Headers): void {
      headers.set('traceparent', traceparent);
      if (tracestate !== null) headers.set('tracestate', tracestate);
      else headers.delete('tracestate');
    },
    run: (fn) => fn(),
    end() {},
  };
}
