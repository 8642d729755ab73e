/**
 * A W3C Trace Context `TextMapPropagator` over our own codec, for an application that has
 * `@opentelemetry/api` but registered no propagator (the API's default one does nothing, and
 * `@opentelemetry/core`'s `W3CTraceContextPropagator` is not ours to depend on).
 */
import type { OtelApi, OtelPropagator } from './opentelemetry.js';
import { formatTraceparent, parseTraceparent, parseTracestate } from './trace-context.js';

const asList = (value: string | string[] | undefined): string[] =>
  value === undefined ? [] : Array.isArray(value) ? value : [value];

/** `traceparent`/`tracestate` in and out, with the same rules as `tracing()` without OpenTelemetry. */
export function createW3cPropagator(api: OtelApi): OtelPropagator {
  return {
    fields: () => ['traceparent', 'tracestate'],
    extract(context, carrier, getter) {
      const lines = asList(getter.get(carrier, 'traceparent'));
      // Two traceparent fields are ambiguous: start over rather than guess (§3.2).
      const parent = lines.length === 1 ? parseTraceparent(lines[0]!) : null;
      if (parent === null) return context;
      const tracestate = parseTracestate(asList(getter.get(carrier, 'tracestate')));
      return api.trace.setSpanContext(context, {
        traceId: parent.traceId,
        spanId: parent.parentSpanId,
        traceFlags: parent.isSampled ? 1 : 0,
        isRemote: true,
        ...(tracestate === null ? {} : { traceState: api.createTraceState(tracestate) }),
      });
    },
    inject(context, carrier, setter) {
      const span = api.trace.getSpanContext(context);
      if (span === undefined || !api.trace.isSpanContextValid(span)) return;
      setter.set(
        carrier,
        'traceparent',
        formatTraceparent(span.traceId, span.spanId, (span.traceFlags & 1) === 1),
      );
      const state = span.traceState?.serialize();
      if (state !== undefined && state !== '') setter.set(carrier, 'tracestate', state);
    },
  };
}
