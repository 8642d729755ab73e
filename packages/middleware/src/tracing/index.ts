/**
 * `tracing()`: W3C Trace Context in and out, `node:diagnostics_channel` events, and a server
 * span per request through `@opentelemetry/api` when the application has it (an optional
 * peer) and has registered an SDK.
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
  type OtelSpan,
  type OtelTracer,
} from './opentelemetry.js';
import {
  formatTraceparent,
  newSpanId,
  newTraceId,
  parseTraceparent,
  parseTracestate,
  type TraceContext,
} from './trace-context.js';

export type { OtelApi, OtelSpan, OtelSpanContext, OtelTracer } from './opentelemetry.js';
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
  /** Tracer name. Default `@rws/middleware`. */
  tracerName?: string | undefined;
  /**
   * Replace the request's `traceparent` with this server's span before the handler runs, so
   * a proxy or client that forwards request headers continues the trace. Default true.
   */
  isPropagating?: boolean | undefined;
  /** Send `traceresponse` (Trace Context Level 2) on the response. Default true. */
  hasResponseHeader?: boolean | undefined;
  /** Whether a trace that starts here is sampled. Default: always. */
  sample?: ((req: Request) => boolean) | undefined;
}

const traceOf = new WeakMap<Request, TraceContext>();

/** The trace context of a request that passed `tracing()`, or null. */
export function traceContext(req: Request): TraceContext | null {
  return traceOf.get(req) ?? null;
}

const PROTOCOL_VERSION: Readonly<Record<string, string>> = {
  'http/1.0': '1.0',
  'http/1.1': '1.1',
  h2: '2',
  h3: '3',
};

const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
]);

/**
 * The attributes of an HTTP server span for `req` (OpenTelemetry semantic conventions, stable
 * HTTP set): method, path, query, scheme, protocol version, client and server address, user
 * agent. The response status is added when the span ends. Exporters that read the
 * `rws:middleware:response` channel use it to describe the span the same way.
 */
export function serverSpanAttributes(req: Request): Record<string, string | number> {
  const method = KNOWN_METHODS.has(req.method) ? req.method : '_OTHER';
  const attributes: Record<string, string | number> = {
    'http.request.method': method,
    'url.path': req.path,
    'url.scheme': req.conn.tls !== null ? 'https' : 'http',
    'network.protocol.version': PROTOCOL_VERSION[req.protocol] ?? req.protocol,
    'client.address': req.conn.remoteAddress,
  };
  if (method === '_OTHER') attributes['http.request.method_original'] = req.method;
  if (req.search !== '') attributes['url.query'] = req.search;
  const host = req.headers.get('host');
  if (host !== null) {
    const colon = host.lastIndexOf(':');
    const hasPort = colon !== -1 && !host.endsWith(']');
    attributes['server.address'] = hasPort ? host.slice(0, colon) : host;
    if (hasPort) attributes['server.port'] = Number(host.slice(colon + 1));
  }
  const agent = req.headers.get('user-agent');
  if (agent !== null) attributes['user_agent.original'] = agent;
  return attributes;
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
  if (options.sample !== undefined && typeof options.sample !== 'function') {
    failOptions(ERROR_CODES.TRACING_INVALID_OPTIONS, 'tracing', 'sample must be a function');
  }
  const otelOption = options.opentelemetry;
  if (
    otelOption !== undefined &&
    otelOption !== false &&
    typeof otelOption?.trace?.getTracer !== 'function'
  ) {
    failOptions(
      ERROR_CODES.TRACING_INVALID_OPTIONS,
      'tracing',
      'opentelemetry must be the @opentelemetry/api module or false',
    );
  }
  const tracerName = options.tracerName ?? '@rws/middleware';
  const isPropagating = options.isPropagating !== false;
  const hasResponseHeader = options.hasResponseHeader !== false;
  const sample = options.sample ?? (() => true);

  let api: OtelApi | null = otelOption === false ? null : (otelOption ?? null);
  // The import starts now so the first request rarely waits for it.
  let loading: Promise<void> | null =
    otelOption === undefined
      ? loadOpenTelemetry().then((loaded) => {
          api = loaded;
          loading = null;
        })
      : null;
  let tracer: OtelTracer | null = null;

  function startSpan(
    req: Request,
    parent: ReturnType<typeof parseTraceparent>,
    tracestate: string | null,
  ) {
    if (api === null) return null;
    tracer ??= api.trace.getTracer(tracerName);
    let context = api.ROOT_CONTEXT;
    if (parent !== null) {
      context = api.trace.setSpanContext(context, {
        traceId: parent.traceId,
        spanId: parent.parentSpanId,
        traceFlags: parent.isSampled ? 1 : 0,
        isRemote: true,
        ...(tracestate !== null && api.createTraceState !== undefined
          ? { traceState: api.createTraceState(tracestate) }
          : {}),
      });
    }
    const span = tracer.startSpan(
      req.method,
      { kind: api.SpanKind.SERVER, attributes: serverSpanAttributes(req) },
      context,
    );
    return { span, context: api.trace.setSpan(context, span) };
  }

  function finish(span: OtelSpan, response: Response | null, error: unknown): void {
    if (response !== null) {
      span.setAttribute('http.response.status_code', response.status);
      // Server spans mark only 5xx as errors; 4xx are the client's (semantic conventions).
      if (response.status >= 500) {
        span.setStatus({ code: api!.SpanStatusCode.ERROR });
        span.setAttribute('error.type', String(response.status));
      }
    } else {
      span.recordException(error);
      span.setStatus({
        code: api!.SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : String(error),
      });
      span.setAttribute('error.type', error instanceof Error ? error.constructor.name : 'unknown');
    }
    span.end();
  }

  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      if (loading !== null) await loading;
      const started = performance.now();
      const lines = req.headers.getAll('traceparent');
      // Two traceparent fields are ambiguous: start over rather than guess (§3.2).
      const parent = lines.length === 1 ? parseTraceparent(lines[0]!) : null;
      const tracestate = parent === null ? null : parseTracestate(req.headers.getAll('tracestate'));
      const otel = startSpan(req, parent, tracestate);
      const recorded = otel?.span.isRecording() ? otel.span.spanContext() : null;
      const traceId = recorded?.traceId ?? parent?.traceId ?? newTraceId();
      const spanId = recorded?.spanId ?? newSpanId();
      const isSampled =
        recorded !== null ? (recorded.traceFlags & 1) === 1 : (parent?.isSampled ?? sample(req));
      const traceparent = formatTraceparent(traceId, spanId, isSampled);
      const trace: TraceContext = {
        traceId,
        spanId,
        parentSpanId: parent?.parentSpanId ?? null,
        isSampled,
        tracestate,
        traceparent,
      };
      let inner = req;
      if (isPropagating) {
        // Derive rather than mutate: outer middleware keep seeing what the client sent.
        const copy = new Headers(req.headers);
        copy.set('traceparent', traceparent);
        if (tracestate !== null) copy.set('tracestate', tracestate);
        else copy.delete('tracestate');
        inner = deriveRequest(req, { headers: copy });
      }
      traceOf.set(req, trace);
      traceOf.set(inner, trace);
      if (requestChannel.hasSubscribers)
        requestChannel.publish({ request: inner, trace } satisfies TracingRequestMessage);
      let response: Response | null = null;
      let error: unknown;
      try {
        response =
          otel === null
            ? await next(inner)
            : await api!.context.with(otel.context, () => next(inner));
        if (hasResponseHeader) response.headers.set('traceresponse', traceparent);
        return response;
      } catch (err) {
        error = err;
        throw err;
      } finally {
        if (otel !== null) finish(otel.span, response, error);
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
