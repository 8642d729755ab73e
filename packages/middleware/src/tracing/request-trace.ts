/** What `tracing()` keeps for one request, whichever way (OpenTelemetry or not) it was made. */
import type { Headers, MaybePromise, Response } from '@rws/core';
import type { TraceContext } from './trace-context.js';

/** One request's trace: its context, how it is passed on, and how its span ends. */
export interface RequestTrace {
  readonly trace: TraceContext;
  /** Replaces the trace headers in `headers` (a copy for the handler) with this server's span. */
  forward(headers: Headers): void;
  /** Runs the rest of the chain, in the span's context when there is one. */
  run(fn: () => MaybePromise<Response>): MaybePromise<Response>;
  /** Ends the span: the response, or null and the error when the handler threw. */
  end(response: Response | null, error: unknown, route: string | null): void;
}
