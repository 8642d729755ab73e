/**
 * The trace of a request through `@opentelemetry/api`: the parent is extracted by the
 * propagator, the `SERVER` span is started by the application's tracer provider, and the
 * propagator writes this span into the headers the handler sees.
 */
import type { Headers, Request, Response } from '@rws/core';
import type {
  OtelApi,
  OtelPropagator,
  OtelSpan,
  OtelSpanContext,
  OtelTextMapGetter,
  OtelTextMapSetter,
  OtelTracer,
} from './opentelemetry.js';
import type { RequestTrace } from './request-trace.js';
import { serverSpanAttributes } from './server-span-attributes.js';
import { formatTraceparent, newSpanId, newTraceId } from './trace-context.js';

/** Reads @rws/core `Headers` for a propagator: every field of a name, as the API expects. */
const HEADERS_GETTER: OtelTextMapGetter<Headers> = {
  keys: (headers) => [...new Set(Array.from(headers, ([name]) => name))],
  get(headers, key) {
    const values = headers.getAll(key);
    return values.length === 0 ? undefined : values.length === 1 ? values[0] : values;
  },
};

const HEADERS_SETTER: OtelTextMapSetter<Headers> = {
  set: (headers, key, value) => void headers.set(key, value),
};

/** What the middleware resolved once: the API, its tracer and the propagator to use. */
export interface OtelSetup {
  readonly api: OtelApi;
  readonly tracer: OtelTracer;
  readonly propagator: OtelPropagator;
}

function finish(api: OtelApi, span: OtelSpan, response: Response | null, error: unknown): void {
  if (response !== null) {
    span.setAttribute('http.response.status_code', response.status);
    // Server spans mark only 5xx as errors; 4xx are the client's (semantic conventions).
    if (response.status >= 500) {
      span.setStatus({ code: api.SpanStatusCode.ERROR });
      span.setAttribute('error.type', String(response.status));
    }
  } else {
    span.recordException(error);
    span.setStatus({
      code: api.SpanStatusCode.ERROR,
      message: error instanceof Error ? error.message : String(error),
    });
    span.setAttribute('error.type', error instanceof Error ? error.constructor.name : 'unknown');
  }
  span.end();
}

/** Starts the `SERVER` span of `req`; `sample` decides only when no SDK records spans. */
export function startOtelTrace(
  setup: OtelSetup,
  req: Request,
  sample: (req: Request) => boolean,
): RequestTrace {
  const { api, tracer, propagator } = setup;
  const parentContext = propagator.extract(api.ROOT_CONTEXT, req.headers, HEADERS_GETTER);
  const remote = api.trace.getSpanContext(parentContext);
  const parent = remote !== undefined && api.trace.isSpanContextValid(remote) ? remote : null;
  const attributes = serverSpanAttributes(req);
  const route = attributes['http.route'];
  // Span name `{method} {http.route}`, or the method alone (semantic conventions).
  const name = route === undefined ? req.method : `${req.method} ${route}`;
  const span = tracer.startSpan(name, { kind: api.SpanKind.SERVER, attributes }, parentContext);
  let own: OtelSpanContext = span.spanContext();
  let context: unknown;
  if (api.trace.isSpanContextValid(own) && own.spanId !== parent?.spanId) {
    context = api.trace.setSpan(parentContext, span);
  } else {
    // No SDK: the API's tracer hands back the parent's context (or an invalid one) in a span
    // that records nothing. This server still takes its own span id, as without OpenTelemetry.
    own = {
      traceId: parent?.traceId ?? newTraceId(),
      spanId: newSpanId(),
      traceFlags: parent === null ? (sample(req) ? 1 : 0) : parent.traceFlags & 1,
      ...(parent?.traceState === undefined ? {} : { traceState: parent.traceState }),
    };
    context = api.trace.setSpanContext(parentContext, own);
  }
  const isSampled = (own.traceFlags & 1) === 1;
  return {
    trace: {
      traceId: own.traceId,
      spanId: own.spanId,
      parentSpanId: parent?.spanId ?? null,
      isSampled,
      tracestate: own.traceState?.serialize() || null,
      traceparent: formatTraceparent(own.traceId, own.spanId, isSampled),
    },
    forward(headers: Headers): void {
      for (const field of propagator.fields()) headers.delete(field);
      propagator.inject(context, headers, HEADERS_SETTER);
    },
    run: (fn) => api.context.with(context, fn),
    end(response, error, lateRoute) {
      // A router inside the chain matched the route only after the span started.
      if (route === undefined && lateRoute !== null) {
        span.setAttribute('http.route', lateRoute);
        span.updateName(`${req.method} ${lateRoute}`);
      }
      finish(api, span, response, error);
    },
  };
}
