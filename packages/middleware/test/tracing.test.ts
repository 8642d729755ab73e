import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import * as otel from '@opentelemetry/api';
import { StackContextManager } from '@opentelemetry/sdk-trace';
import {
  BasicTracerProvider,
  InMemorySpanExporter,
  SimpleSpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { compose, createRequest, type Handler, Headers, json, text } from '@rws/core';
import {
  type OtelApi,
  type TracingRequestMessage,
  type TracingResponseMessage,
  traceContext,
  tracing,
} from '@rws/middleware/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { httpCall, serveHandler } from './serve-helpers.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE}-${PARENT}-01`;

/** The handler echoes what it saw: the trace context and the forwarded headers. */
function echo(options: Parameters<typeof tracing>[0]): Handler {
  return compose([tracing(options)], (req) =>
    json({
      trace: traceContext(req),
      traceparent: req.headers.get('traceparent'),
      tracestate: req.headers.get('tracestate'),
    }),
  );
}

async function send(handler: Handler, headers: [string, string][] = []) {
  const res = await handler(
    createRequest({ method: 'GET', target: '/items?x=1', headers: new Headers(headers) }),
  );
  const isJson = res.headers.get('content-type')?.startsWith('application/json') === true;
  return { res, body: isJson ? JSON.parse(res.body as string) : null };
}

describe('tracing(): W3C Trace Context without OpenTelemetry', () => {
  const handler = echo({ opentelemetry: false });

  it('starts a trace when there is none; the handler and the response carry this span', async () => {
    const { res, body } = await send(handler);
    expect(body.trace.traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
    expect(body.trace.parentSpanId).toBeNull();
    expect(body.traceparent).toBe(body.trace.traceparent);
    expect(res.headers.get('traceresponse')).toBe(body.trace.traceparent);
  });

  it('continues an incoming trace: same trace id, the caller as parent, a new span id, flags and tracestate kept', async () => {
    const { body } = await send(handler, [
      ['traceparent', TRACEPARENT.replace(/01$/, '00')],
      ['tracestate', 'rojo=00f067aa0ba902b7'],
      ['tracestate', 'congo=t61rcWkgMzE'],
    ]);
    expect(body.trace).toMatchObject({ traceId: TRACE, parentSpanId: PARENT, isSampled: false });
    expect(body.trace.spanId).not.toBe(PARENT);
    expect(body.traceparent).toBe(`00-${TRACE}-${body.trace.spanId}-00`);
    expect(body.tracestate).toBe('rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('a later version with extra fields is understood (§4.3)', async () => {
    const { body } = await send(handler, [
      ['traceparent', `01-${TRACE}-${PARENT}-01-what-the-future-holds`],
    ]);
    expect(body.trace.traceId).toBe(TRACE);
  });

  it.each([
    ['upper-case hex', TRACEPARENT.toUpperCase()],
    ['version ff', TRACEPARENT.replace(/^00/, 'ff')],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT}-01`],
    ['all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['short trace id', `00-${TRACE.slice(1)}-${PARENT}-01`],
    ['version 00 with a trailing field', `${TRACEPARENT}-x`],
    ['bad separators', TRACEPARENT.replaceAll('-', '_')],
    ['garbage', 'hello'],
  ])('%s starts a new trace and drops tracestate', async (_name, value) => {
    const { body } = await send(handler, [
      ['traceparent', value],
      ['tracestate', 'rojo=1'],
    ]);
    expect(body.trace.traceId).not.toBe(TRACE);
    expect(body.trace.parentSpanId).toBeNull();
    expect(body.tracestate).toBeNull();
  });

  it('two traceparent fields are ambiguous: a new trace', async () => {
    const { body } = await send(handler, [
      ['traceparent', TRACEPARENT],
      ['traceparent', TRACEPARENT],
    ]);
    expect(body.trace.traceId).not.toBe(TRACE);
  });

  it('an invalid tracestate is dropped, the traceparent kept', async () => {
    const { body } = await send(handler, [
      ['traceparent', TRACEPARENT],
      ['tracestate', 'Bad Key=1'],
    ]);
    expect(body.trace.traceId).toBe(TRACE);
    expect(body.tracestate).toBeNull();
  });

  it('sample() decides for traces that start here; propagation and the response header can be turned off', async () => {
    const quiet = echo({
      opentelemetry: false,
      sample: () => false,
      isPropagating: false,
      hasResponseHeader: false,
    });
    const { res, body } = await send(quiet, [['traceparent', 'bad']]);
    expect(body.trace.isSampled).toBe(false);
    expect(body.traceparent).toBe('bad');
    expect(res.headers.get('traceresponse')).toBeNull();
  });

  it('publishes rws:middleware:request and rws:middleware:response on node:diagnostics_channel', async () => {
    const seen: unknown[] = [];
    const onRequest = (m: unknown) =>
      seen.push(['request', (m as TracingRequestMessage).trace.traceId]);
    const onResponse = (m: unknown) => {
      const r = m as TracingResponseMessage;
      seen.push([
        'response',
        r.trace.traceId,
        r.response?.status ?? null,
        (r.error as Error | undefined)?.message ?? null,
        r.durationMs >= 0,
      ]);
    };
    subscribe('rws:middleware:request', onRequest);
    subscribe('rws:middleware:response', onResponse);
    try {
      await send(handler, [['traceparent', TRACEPARENT]]);
      const failing = compose([tracing({ opentelemetry: false })], () => {
        throw new Error('boom');
      });
      await expect(
        failing(
          createRequest({ method: 'GET', target: '/', headers: { traceparent: TRACEPARENT } }),
        ),
      ).rejects.toThrow('boom');
    } finally {
      unsubscribe('rws:middleware:request', onRequest);
      unsubscribe('rws:middleware:response', onResponse);
    }
    expect(seen).toEqual([
      ['request', TRACE],
      ['response', TRACE, 200, null, true],
      ['request', TRACE],
      ['response', TRACE, null, 'boom', true],
    ]);
  });

  it('over a real @rws/http1 socket', async () => {
    const port = await serveHandler(echo({ opentelemetry: false }));
    const res = await httpCall(port, '/x', { headers: { traceparent: TRACEPARENT } });
    const body = JSON.parse(res.body);
    expect(body.trace.traceId).toBe(TRACE);
    expect(res.headers['traceresponse']).toBe(body.trace.traceparent);
  });

  it('rejects bad options', () => {
    expect(() => tracing({ opentelemetry: {} as never })).toThrow(
      /opentelemetry must be the @opentelemetry\/api module/,
    );
    expect(() => tracing({ sample: true as never })).toThrow(/sample must be a function/);
  });
});

describe('tracing(): server spans through @opentelemetry/api with the SDK registered', () => {
  const exporter = new InMemorySpanExporter();
  beforeAll(() => {
    const provider = new BasicTracerProvider({
      spanProcessors: [new SimpleSpanProcessor(exporter)],
    });
    otel.trace.setGlobalTracerProvider(provider);
    // Synchronous context is enough: the handler starts its span before its first await.
    otel.context.setGlobalContextManager(new StackContextManager().enable());
  });
  afterAll(() => {
    otel.trace.disable();
    otel.context.disable();
  });

  it('one SERVER span per request, child of the remote caller, with HTTP semantic-convention attributes', async () => {
    exporter.reset();
    // The default: @opentelemetry/api is found and imported by tracing() itself.
    const port = await serveHandler(compose([tracing()], () => text('ok')));
    const res = await httpCall(port, '/items?x=1', {
      headers: { traceparent: TRACEPARENT, tracestate: 'rojo=1', 'user-agent': 'test-agent' },
    });
    expect(res.status).toBe(200);
    const spans = exporter.getFinishedSpans();
    expect(spans).toHaveLength(1);
    const span = spans[0]!;
    expect(span.name).toBe('GET');
    expect(span.kind).toBe(otel.SpanKind.SERVER);
    expect(span.spanContext().traceId).toBe(TRACE);
    expect(span.parentSpanContext?.spanId).toBe(PARENT);
    expect(span.parentSpanContext?.traceState?.get('rojo')).toBe('1');
    expect(res.headers['traceresponse']).toBe(`00-${TRACE}-${span.spanContext().spanId}-01`);
    expect(span.attributes).toEqual({
      'http.request.method': 'GET',
      'url.path': '/items',
      'url.query': 'x=1',
      'url.scheme': 'http',
      'network.protocol.version': '1.1',
      'client.address': '127.0.0.1',
      'server.address': '127.0.0.1',
      'server.port': port,
      'user_agent.original': 'test-agent',
      'http.response.status_code': 200,
    });
    expect(span.status.code).toBe(otel.SpanStatusCode.UNSET);
  });

  it('5xx and thrown errors mark the span as an error; 4xx does not', async () => {
    exporter.reset();
    const api: OtelApi = otel;
    const status = (code: number) =>
      compose([tracing({ opentelemetry: api })], () => text('x', { status: code }));
    await send(status(503));
    await send(status(404));
    const failing = compose([tracing({ opentelemetry: api })], () => {
      throw new TypeError('kaput');
    });
    await expect(send(failing)).rejects.toThrow('kaput');
    const [s503, s404, thrown] = exporter.getFinishedSpans();
    expect(s503!.status.code).toBe(otel.SpanStatusCode.ERROR);
    expect(s503!.attributes['error.type']).toBe('503');
    expect(s404!.status.code).toBe(otel.SpanStatusCode.UNSET);
    expect(thrown!.status).toEqual({ code: otel.SpanStatusCode.ERROR, message: 'kaput' });
    expect(thrown!.attributes['error.type']).toBe('TypeError');
    expect(thrown!.events.map((e) => e.name)).toEqual(['exception']);
  });

  it('a span the handler starts is a child of the server span', async () => {
    exporter.reset();
    const handler = compose([tracing()], () => {
      otel.trace.getTracer('app').startSpan('db.query').end();
      return text('ok');
    });
    await send(handler);
    const [child, server] = exporter.getFinishedSpans();
    expect(child!.name).toBe('db.query');
    expect(child!.parentSpanContext?.spanId).toBe(server!.spanContext().spanId);
    expect(child!.spanContext().traceId).toBe(server!.spanContext().traceId);
  });
});
