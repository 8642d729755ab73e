/**
 * tracing() with the real OpenTelemetry SDK (issue #13): spans from the application's tracer
 * provider, trace headers through the API's propagator, HTTP semantic-convention attribute
 * names checked against @opentelemetry/semantic-conventions, and an OTLP/HTTP exporter
 * delivering to a receiver on a real socket.
 */
import { createServer } from 'node:http';
import * as otel from '@opentelemetry/api';
import {
  CompositePropagator,
  W3CBaggagePropagator,
  W3CTraceContextPropagator,
} from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { StackContextManager } from '@opentelemetry/sdk-trace';
import {
  AlwaysOffSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  InMemorySpanExporter,
  ParentBasedSampler,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import {
  ATTR_CLIENT_ADDRESS,
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_NETWORK_PROTOCOL_VERSION,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_URL_PATH,
  ATTR_URL_QUERY,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import { compose, json, text } from '@rws/core';
import { createApp } from '@rws/router';
import { afterEach, beforeEach, describe, expect, it, onTestFinished } from 'vitest';
import { traceContext, tracing } from '../src/tracing/index.js';
import { httpCall, serveHandler } from './serve-helpers.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE}-${PARENT}-01`;

function memoryProvider(options: ConstructorParameters<typeof BasicTracerProvider>[0] = {}) {
  const exporter = new InMemorySpanExporter();
  const provider = new BasicTracerProvider({
    ...options,
    spanProcessors: [new SimpleSpanProcessor(exporter)],
  });
  onTestFinished(() => provider.shutdown());
  return { exporter, provider };
}

// Every test starts and ends with nothing registered in the API's globals.
beforeEach(() => {
  // Synchronous context is enough: the handlers read it before their first await.
  otel.context.setGlobalContextManager(new StackContextManager().enable());
});
afterEach(() => {
  otel.trace.disable();
  otel.propagation.disable();
  otel.context.disable();
});

describe('tracing() with a tracer provider and propagator given as options', () => {
  it('an App route over a real socket: SERVER span "GET /items/:id" with the semantic-convention attributes; traceparent and baggage reach the handler', async () => {
    const { exporter, provider } = memoryProvider();
    const propagator = new CompositePropagator({
      propagators: [new W3CTraceContextPropagator(), new W3CBaggagePropagator()],
    });
    const app = createApp();
    app.use(tracing({ opentelemetry: otel, tracerProvider: provider, propagator }));
    app.get('/items/:id', (req) =>
      json({
        traceparent: req.headers.get('traceparent'),
        baggage: req.headers.get('baggage'),
        user: otel.propagation.getBaggage(otel.context.active())?.getEntry('user')?.value ?? null,
        activeSpan: otel.trace.getActiveSpan()?.spanContext().spanId ?? null,
        spanId: traceContext(req)?.spanId,
      }),
    );
    const port = await serveHandler(app.handler);
    const res = await httpCall(port, '/items/7?x=1', {
      headers: {
        traceparent: TRACEPARENT,
        tracestate: 'rojo=1',
        baggage: 'user=ada',
        'user-agent': 'test-agent',
      },
    });
    expect(res.status).toBe(200);
    const [span] = exporter.getFinishedSpans();
    expect(exporter.getFinishedSpans()).toHaveLength(1);
    const spanId = span!.spanContext().spanId;
    expect(span!.name).toBe('GET /items/:id');
    expect(span!.kind).toBe(otel.SpanKind.SERVER);
    expect(span!.instrumentationScope.name).toBe('@rws/middleware');
    expect(span!.spanContext().traceId).toBe(TRACE);
    expect(span!.parentSpanContext?.spanId).toBe(PARENT);
    expect(span!.spanContext().traceState?.get('rojo')).toBe('1');
    expect(span!.attributes).toEqual({
      [ATTR_HTTP_REQUEST_METHOD]: 'GET',
      [ATTR_HTTP_ROUTE]: '/items/:id',
      [ATTR_URL_PATH]: '/items/7',
      [ATTR_URL_QUERY]: 'x=1',
      [ATTR_URL_SCHEME]: 'http',
      [ATTR_NETWORK_PROTOCOL_VERSION]: '1.1',
      [ATTR_CLIENT_ADDRESS]: '127.0.0.1',
      [ATTR_SERVER_ADDRESS]: '127.0.0.1',
      [ATTR_SERVER_PORT]: port,
      [ATTR_USER_AGENT_ORIGINAL]: 'test-agent',
      [ATTR_HTTP_RESPONSE_STATUS_CODE]: 200,
    });
    // The propagator wrote this server's span for the handler; baggage passed through it.
    expect(JSON.parse(res.body)).toEqual({
      traceparent: `00-${TRACE}-${spanId}-01`,
      baggage: 'user=ada',
      user: 'ada',
      activeSpan: spanId,
      spanId,
    });
    expect(res.headers['traceresponse']).toBe(`00-${TRACE}-${spanId}-01`);
  });

  it('a router inside the chain: the route is learnt after the span started, name and http.route still follow it', async () => {
    const { exporter, provider } = memoryProvider();
    const app = createApp({ logger: { error() {} } });
    app.get('/users/:id', () => text('boom', { status: 502 }));
    const handler = compose(
      [tracing({ opentelemetry: otel, tracerProvider: provider })],
      app.handler,
    );
    const port = await serveHandler(handler);
    expect((await httpCall(port, '/users/1')).status).toBe(502);
    expect((await httpCall(port, '/nothing')).status).toBe(404);
    const [routed, unmatched] = exporter.getFinishedSpans();
    expect(routed!.name).toBe('GET /users/:id');
    expect(routed!.attributes[ATTR_HTTP_ROUTE]).toBe('/users/:id');
    expect(routed!.attributes[ATTR_ERROR_TYPE]).toBe('502');
    expect(routed!.status.code).toBe(otel.SpanStatusCode.ERROR);
    // No route matched: the method alone, no http.route (never the raw path).
    expect(unmatched!.name).toBe('GET');
    expect(unmatched!.attributes[ATTR_HTTP_ROUTE]).toBeUndefined();
  });

  it("the SDK's sampler decides: a root span it drops is not exported and is sent on as not sampled", async () => {
    const { exporter, provider } = memoryProvider({
      sampler: new ParentBasedSampler({ root: new AlwaysOffSampler() }),
    });
    const handler = compose(
      // sample() is for traces without an SDK: the sampler above wins over it.
      [tracing({ opentelemetry: otel, tracerProvider: provider, sample: () => true })],
      (req) => text(req.headers.get('traceparent') ?? ''),
    );
    const port = await serveHandler(handler);
    const root = await httpCall(port, '/');
    expect(root.body).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-00$/);
    expect(root.headers['traceresponse']).toBe(root.body);
    expect(exporter.getFinishedSpans()).toHaveLength(0);
    // A sampled caller: ParentBased follows it.
    const child = await httpCall(port, '/', { headers: { traceparent: TRACEPARENT } });
    expect(child.body).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(exporter.getFinishedSpans()).toHaveLength(1);
  });

  it('rejects a provider or propagator that is not one, and either without the API module', () => {
    const { provider } = memoryProvider();
    expect(() => tracing({ opentelemetry: otel, tracerProvider: {} as never })).toThrow(
      /tracerProvider must be an OpenTelemetry TracerProvider/,
    );
    expect(() => tracing({ opentelemetry: otel, propagator: { extract() {} } as never })).toThrow(
      /propagator must be an OpenTelemetry TextMapPropagator/,
    );
    expect(() => tracing({ tracerProvider: provider })).toThrow(
      /need the @opentelemetry\/api module as opentelemetry/,
    );
    expect(() =>
      tracing({ opentelemetry: false, propagator: new W3CTraceContextPropagator() }),
    ).toThrow(/need the @opentelemetry\/api module/);
  });
});

describe("tracing() with the API's globals", () => {
  it('a provider and propagator registered after tracing() was created are used from then on', async () => {
    const handler = compose([tracing()], (req) => text(req.headers.get('traceparent') ?? ''));
    const port = await serveHandler(handler);
    // Nothing registered yet: no span recorded, but this server still takes its own span id.
    const before = await httpCall(port, '/', { headers: { traceparent: TRACEPARENT } });
    expect(before.body).toMatch(new RegExp(`^00-${TRACE}-[0-9a-f]{16}-01$`));
    expect(before.body).not.toContain(PARENT);

    const { exporter, provider } = memoryProvider();
    otel.trace.setGlobalTracerProvider(provider);
    // From now on @opentelemetry/core's propagator reads and writes the headers, not our codec.
    otel.propagation.setGlobalPropagator(new W3CTraceContextPropagator());
    const after = await httpCall(port, '/', { headers: { traceparent: TRACEPARENT } });
    const [span] = exporter.getFinishedSpans();
    expect(span!.parentSpanContext?.spanId).toBe(PARENT);
    expect(after.body).toBe(`00-${TRACE}-${span!.spanContext().spanId}-01`);
  });
});

describe('tracing() into an OTLP/HTTP exporter of the SDK', () => {
  it('BatchSpanProcessor + OTLPTraceExporter deliver the server span to a collector on a real socket', async () => {
    const bodies: { path: string; type: string | undefined; body: unknown }[] = [];
    const collector = createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        bodies.push({
          path: req.url ?? '',
          type: req.headers['content-type'],
          body: JSON.parse(Buffer.concat(chunks).toString('utf8')),
        });
        res.setHeader('content-type', 'application/json');
        res.end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => collector.close(() => r())));
    const { port: collectorPort } = collector.address() as { port: number };
    const provider = new BasicTracerProvider({
      spanProcessors: [
        new BatchSpanProcessor(
          new OTLPTraceExporter({ url: `http://127.0.0.1:${collectorPort}/v1/traces` }),
        ),
      ],
    });
    onTestFinished(() => provider.shutdown());
    const port = await serveHandler(
      compose([tracing({ opentelemetry: otel, tracerProvider: provider })], () =>
        text('nope', { status: 500 }),
      ),
    );
    const res = await httpCall(port, '/pay?id=3', { headers: { traceparent: TRACEPARENT } });
    expect(res.status).toBe(500);
    await provider.forceFlush();

    expect(bodies).toHaveLength(1);
    expect(bodies[0]!.path).toBe('/v1/traces');
    expect(bodies[0]!.type).toBe('application/json');
    const body = bodies[0]!.body as {
      resourceSpans: { scopeSpans: { scope: { name: string }; spans: OtlpSpan[] }[] }[];
    };
    interface OtlpSpan {
      traceId: string;
      spanId: string;
      parentSpanId: string;
      name: string;
      kind: number;
      status: { code: number };
      attributes: { key: string; value: Record<string, unknown> }[];
    }
    const scope = body.resourceSpans[0]!.scopeSpans[0]!;
    expect(scope.scope.name).toBe('@rws/middleware');
    const span = scope.spans[0]!;
    expect(span.traceId).toBe(TRACE);
    expect(span.parentSpanId).toBe(PARENT);
    expect(res.headers['traceresponse']).toBe(`00-${TRACE}-${span.spanId}-01`);
    // OTLP: SPAN_KIND_SERVER = 2, STATUS_CODE_ERROR = 2.
    expect([span.name, span.kind, span.status.code]).toEqual(['GET', 2, 2]);
    const attr = (key: string) => span.attributes.find((a) => a.key === key)?.value;
    expect(attr(ATTR_URL_PATH)).toEqual({ stringValue: '/pay' });
    expect(attr(ATTR_URL_QUERY)).toEqual({ stringValue: 'id=3' });
    expect(attr(ATTR_HTTP_RESPONSE_STATUS_CODE)).toEqual({ intValue: 500 });
    expect(attr(ATTR_ERROR_TYPE)).toEqual({ stringValue: '500' });
  });
});
