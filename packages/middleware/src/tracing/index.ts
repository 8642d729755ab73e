/**
 * `tracing()`: W3C Trace Context in and out, `node:diagnostics_channel` events, and a server
 * span per request through `@opentelemetry/api` (an optional peer) when the application has
 * it: spans come from its registered (or given) tracer provider and the trace headers are
 * read and written by its propagator.
 *
 * @module
 */
import { channel } from 'node:diagnostics_channel';
import { type Handler, Headers, type Middleware, type Request, type Response } from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions } from '../internal/fail.js';
import {
  loadOpenTelemetry,
  type OtelApi,
  type OtelPropagator,
  type OtelTracer,
  type OtelTracerProvider,
} from './opentelemetry.js';
import { startOtelTrace } from './otel-trace.js';
import type { RequestTrace } from './request-trace.js';
import { routeOf } from './server-span-attributes.js';
import type { TraceContext } from './trace-context.js';
import { createW3cPropagator } from './w3c-propagator.js';
import { startW3cTrace } from './w3c-trace.js';

export type {
  OtelApi,
  OtelPropagator,
  OtelSpan,
  OtelSpanContext,
  OtelTextMapGetter,
  OtelTextMapSetter,
  OtelTracer,
  OtelTracerProvider,
  OtelTraceState,
} from './opentelemetry.js';
export { serverSpanAttributes } from './server-span-attributes.js';
export type { ParsedTraceparent, TraceContext } from './trace-context.js';
export { parseTraceparent, parseTracestate } from './trace-context.js';

/** Message of `rws:middleware:request`, published before the handler runs. */
export interface TracingRequestMessage {
  request: Request;
  trace: TraceContext;
}

/** Message of `rws:middleware:response`, published when the handler answered or threw. */
export interface TracingResponseMessage {
  request: Request;
  trace: TraceContext;
  /** The response, or null when the handler threw. */
  response: Response | null;
  error: unknown;
  durationMs: number;
}

const requestChannel = channel('rws:middleware:request');
const responseChannel = channel('rws:middleware:response');

/** Options of `tracing()`. */
export interface TracingOptions {
  /**
   * The `@opentelemetry/api` module, or false for no spans. Default: imported when installed;
   * without a registered SDK its tracer records nothing and only the W3C headers apply.
   */
  opentelemetry?: OtelApi | false | undefined;
  /**
   * The tracer provider spans come from, e.g. an SDK `BasicTracerProvider` that is not
   * registered globally. Default: the API's global one. Needs `opentelemetry`.
   */
  tracerProvider?: OtelTracerProvider | undefined;
  /**
   * The propagator that reads the caller's context from the request headers and writes this
   * server's span into the headers the handler sees, e.g. `W3CTraceContextPropagator` or a
   * composite with baggage. Default: the API's registered one, or, when none is registered,
   * W3C Trace Context by our own codec. Needs `opentelemetry`.
   */
  propagator?: OtelPropagator | undefined;
  /** Tracer name. Default `@rws/middleware`. */
  tracerName?: string | undefined;
  /**
   * Replace the request's trace headers with this server's span before the handler runs, so
   * a proxy or client that forwards request headers continues the trace. Default true.
   */
  isPropagating?: boolean | undefined;
  /** Send `traceresponse` (Trace Context Level 2) on the response. Default true. */
  hasResponseHeader?: boolean | undefined;
  /**
   * Whether a trace that starts here is sampled, when no OpenTelemetry SDK records spans (an
   * SDK's sampler decides otherwise). Default: always.
   */
  sample?: ((req: Request) => boolean) | undefined;
}

const traceOf = new WeakMap<Request, TraceContext>();

/** The trace context of a request that passed `tracing()`, or null. */
export function traceContext(req: Request): TraceContext | null {
  return traceOf.get(req) ?? null;
}

const isFunction = (value: unknown): boolean => typeof value === 'function';

function checkOptions(options: TracingOptions): void {
  const fail = (message: string): never =>
    failOptions(ERROR_CODES.TRACING_INVALID_OPTIONS, 'tracing', message);
  if (options.sample !== undefined && !isFunction(options.sample)) {
    fail('sample must be a function');
  }
  const otel = options.opentelemetry;
  if (otel !== undefined && otel !== false && !isFunction(otel?.trace?.getTracer)) {
    fail('opentelemetry must be the @opentelemetry/api module or false');
  }
  const { tracerProvider, propagator } = options;
  if (tracerProvider !== undefined && !isFunction(tracerProvider?.getTracer)) {
    fail('tracerProvider must be an OpenTelemetry TracerProvider (with getTracer())');
  }
  if (
    propagator !== undefined &&
    !(
      isFunction(propagator?.extract) &&
      isFunction(propagator.inject) &&
      isFunction(propagator.fields)
    )
  ) {
    fail('propagator must be an OpenTelemetry TextMapPropagator (extract, inject, fields)');
  }
  // A provider or propagator works only with the API its context and span kinds come from:
  // asked for explicitly rather than imported from wherever @rws/middleware resolves it.
  if ((tracerProvider !== undefined || propagator !== undefined) && !otel) {
    fail('tracerProvider and propagator need the @opentelemetry/api module as opentelemetry');
  }
}

/**
 * Creates the tracing middleware. Put it first, so the span covers the whole chain.
 *
 * The span ends when the response head is ready; a streamed body may go on after it.
 *
 * @example
 * ```ts
 * import { compose, json } from '@rws/core';
 * import { traceContext, tracing } from '@rws/middleware/tracing';
 * const handler = compose([tracing()], (req) => json({ traceId: traceContext(req)?.traceId }));
 * ```
 */
export function tracing(options: TracingOptions = {}): Middleware {
  checkOptions(options);
  const otelOption = options.opentelemetry;
  const tracerName = options.tracerName ?? '@rws/middleware';
  const isPropagating = options.isPropagating !== false;
  const hasResponseHeader = options.hasResponseHeader !== false;
  const sample = options.sample ?? (() => true);

  let api: OtelApi | null = null;
  let tracer: OtelTracer | null = null;
  let fallbackPropagator: OtelPropagator | null = null;
  const useApi = (loaded: OtelApi): void => {
    api = loaded;
    tracer = (options.tracerProvider ?? loaded.trace).getTracer(tracerName);
    fallbackPropagator = createW3cPropagator(loaded);
  };
  if (otelOption !== undefined && otelOption !== false) useApi(otelOption);
  // The import starts now so the first request rarely waits for it.
  let loading: Promise<void> | null =
    otelOption === undefined
      ? loadOpenTelemetry().then((loaded) => {
          loading = null;
          if (loaded !== null) useApi(loaded);
        })
      : null;

  function start(req: Request): RequestTrace {
    const a = api as OtelApi | null;
    if (a === null) return startW3cTrace(req, sample);
    // The registered propagator is looked up per request: an SDK may register after us.
    const propagator =
      options.propagator ??
      (a.propagation.fields().length > 0 ? a.propagation : fallbackPropagator!);
    return startOtelTrace({ api: a, tracer: tracer!, propagator }, req, sample);
  }

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      if (loading !== null) await loading;
      const started = performance.now();
      const requestTrace = start(req);
      const { trace } = requestTrace;
      let inner = req;
      if (isPropagating) {
        // Derive rather than mutate: outer middleware keep seeing what the client sent.
        const copy = new Headers(req.headers);
        requestTrace.forward(copy);
        inner = deriveRequest(req, { headers: copy });
      }
      traceOf.set(req, trace);
      traceOf.set(inner, trace);
      if (requestChannel.hasSubscribers)
        requestChannel.publish({ request: inner, trace } satisfies TracingRequestMessage);
      let response: Response | null = null;
      let error: unknown;
      try {
        response = await requestTrace.run(() => next(inner));
        if (hasResponseHeader) response.headers.set('traceresponse', trace.traceparent);
        return response;
      } catch (err) {
        error = err;
        throw err;
      } finally {
        requestTrace.end(response, error, routeOf(inner));
        if (responseChannel.hasSubscribers) {
          responseChannel.publish({
            request: inner,
            trace,
            response,
            error,
            durationMs: performance.now() - started,
          } satisfies TracingResponseMessage);
        }
      }
    },
  };
}
