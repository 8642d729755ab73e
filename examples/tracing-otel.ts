/**
 * tracing-otel — `tracing()` of @rws/middleware with the OpenTelemetry SDK: a `SERVER` span per
 * request from the app's tracer provider, named after the matched route, child of the caller's
 * `traceparent` (read and written by `@opentelemetry/core`'s W3C propagator). Spans go to an
 * OTLP/HTTP collector when `OTEL_EXPORTER_OTLP_ENDPOINT` is set (e.g. Jaeger's
 * `http://127.0.0.1:4318`), and the last ones are always listed at `/debug/spans`.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/tracing-otel.ts
 * then:
 *   curl -i -H 'traceparent: 00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01' \
 *     http://127.0.0.1:3000/items/7                 # traceresponse names the server span
 *   curl http://127.0.0.1:3000/debug/spans          # name, ids, parent, attributes
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import * as otel from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import {
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  SimpleSpanProcessor,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { json } from '@rws/core';
import { createServer } from '@rws/http1';
import { traceContext, tracing } from '@rws/middleware/tracing';
import { createApp } from '@rws/router';

// The active span follows the handler across awaits: tracing() runs it in the span's context.
otel.context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());

const recent = new InMemorySpanExporter();
const processors: SpanProcessor[] = [new SimpleSpanProcessor(recent)];
// The exporter reads OTEL_EXPORTER_OTLP_* itself (endpoint, headers, timeout).
if (process.env['OTEL_EXPORTER_OTLP_ENDPOINT']) {
  processors.push(new BatchSpanProcessor(new OTLPTraceExporter()));
}
const provider = new BasicTracerProvider({ spanProcessors: processors });

const app = createApp();
// The in-memory list is for this demo: it keeps the last 200 spans at most.
app.use((req, next) => {
  if (recent.getFinishedSpans().length >= 200) recent.reset();
  return next(req);
});
// Before the routes, so its span covers every one of them, the 404s included.
app.use(
  tracing({
    opentelemetry: otel,
    tracerProvider: provider,
    propagator: new W3CTraceContextPropagator(),
  }),
);

app.get('/items/:id', async (req) => {
  // A span the handler starts, even after an await, is a child of the server span.
  await new Promise((r) => setTimeout(r, 1));
  const span = provider.getTracer('example').startSpan('load item');
  span.end();
  return json({ id: req.params.id, trace: traceContext(req) });
});

app.get('/debug/spans', () =>
  json(
    recent.getFinishedSpans().map((s) => ({
      name: s.name,
      traceId: s.spanContext().traceId,
      spanId: s.spanContext().spanId,
      parentSpanId: s.parentSpanContext?.spanId ?? null,
      attributes: s.attributes,
    })),
  ),
);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`tracing-otel listening on http://127.0.0.1:${port}/`);

process.once('SIGTERM', async () => {
  await server.close();
  // Sends the spans still queued for the collector.
  await provider.shutdown();
  process.exit(0);
});
