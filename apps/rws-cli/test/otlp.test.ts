import { writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage } from 'node:http';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { otlpConfigFromEnv } from '../src/internal/otlp-config.js';
import { cleanEnv, startCli, tempDir } from './cli-process.js';

interface Received {
  path: string;
  headers: IncomingMessage['headers'];
  raw: Buffer;
  body: {
    resourceSpans: {
      resource: { attributes: { key: string; value: Record<string, unknown> }[] };
      scopeSpans: { spans: Span[] }[];
    }[];
  };
}
interface Span {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  kind: number;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: { key: string; value: Record<string, unknown> }[];
  status: { code: number };
}

/** A stand-in OTLP/HTTP collector: a real node:http server on port 0 keeping every POST. */
async function startCollector(status = 200) {
  const received: Received[] = [];
  const waiters = new Set<() => void>();
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      const isJson = req.headers['content-type'] === 'application/json';
      received.push({
        path: req.url ?? '',
        headers: req.headers,
        raw,
        body: isJson ? JSON.parse(raw.toString('utf8')) : { resourceSpans: [] },
      });
      res.statusCode = status;
      res.setHeader('content-type', 'application/json');
      res.end('{}');
      for (const w of [...waiters]) w();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  const spans = () => received.flatMap((r) => r.body.resourceSpans[0]!.scopeSpans[0]!.spans);
  return {
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}`,
    received,
    spans,
    /** Resolves once `n` spans arrived (rejects after 15 s). */
    waitForSpans: (n: number) =>
      new Promise<void>((resolve, reject) => {
        const check = () => {
          if (spans().length >= n) {
            waiters.delete(check);
            clearTimeout(timer);
            resolve();
          }
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`collector got ${spans().length} spans, wanted ${n}`));
        }, 15_000);
        waiters.add(check);
        check();
      }),
  };
}

/** `rws` serving a folder with an index.html, with `env` (the OTEL_* variables) set. */
function startRws(env: Record<string, string>, index = 'x') {
  const dir = tempDir('rws-otlp-');
  writeFileSync(join(dir, 'index.html'), index);
  return startCli(['--port', '0'], { cwd: dir, env: cleanEnv(env) });
}

const attr = (span: Span, key: string) => span.attributes.find((a) => a.key === key)?.value;

describe('OTLP/HTTP trace export (OpenTelemetry SDK) when OTEL_EXPORTER_OTLP_ENDPOINT is set (issue #13)', () => {
  it('exports a server span per request with the caller as parent, batched, with headers', async () => {
    const collector = await startCollector();
    const rws = await startRws(
      {
        OTEL_EXPORTER_OTLP_ENDPOINT: `${collector.url}/`,
        OTEL_EXPORTER_OTLP_HEADERS: 'x-api-key=s%20ecret,x-team=web',
        OTEL_SERVICE_NAME: 'edge',
        OTEL_BSP_SCHEDULE_DELAY: '200',
        OTEL_BSP_MAX_EXPORT_BATCH_SIZE: '2',
      },
      '<h1>hi</h1>',
    );
    const parent = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';
    const res = await fetch(`${rws.origin}/`, { headers: { traceparent: parent } });
    expect(res.status).toBe(200);
    const traceresponse = res.headers.get('traceresponse')!;
    expect(traceresponse).toMatch(/^00-0af7651916cd43dd8448eb211c80319c-[0-9a-f]{16}-01$/);
    expect((await fetch(`${rws.origin}/missing`)).status).toBe(404);
    const third = await fetch(`${rws.origin}/`, { method: 'HEAD' });
    expect(third.status).toBe(200);
    await collector.waitForSpans(3);

    // Two spans fill a batch at once; the third waits for the schedule delay.
    expect(collector.received.length).toBeGreaterThanOrEqual(2);
    const first = collector.received[0]!;
    expect(first.path).toBe('/v1/traces');
    expect(first.headers['content-type']).toBe('application/json');
    expect(first.headers['x-api-key']).toBe('s ecret');
    expect(first.headers['x-team']).toBe('web');
    expect(first.body.resourceSpans[0]!.resource.attributes).toContainEqual({
      key: 'service.name',
      value: { stringValue: 'edge' },
    });
    // Made by the OpenTelemetry SDK's exporter, not by rws.
    expect(first.body.resourceSpans[0]!.resource.attributes).toContainEqual({
      key: 'telemetry.sdk.name',
      value: { stringValue: 'opentelemetry' },
    });
    const [a, b, c] = collector.spans();
    expect(a!.traceId).toBe('0af7651916cd43dd8448eb211c80319c');
    expect(a!.parentSpanId).toBe('b7ad6b7169203331');
    expect(a!.spanId).toBe(traceresponse.split('-')[2]);
    expect([a!.name, a!.kind, a!.status.code]).toEqual(['GET', 2, 0]);
    expect(attr(a!, 'http.response.status_code')).toEqual({ intValue: 200 });
    expect(attr(a!, 'url.path')).toEqual({ stringValue: '/' });
    expect(BigInt(a!.endTimeUnixNano)).toBeGreaterThanOrEqual(BigInt(a!.startTimeUnixNano));
    const startMs = Number(BigInt(a!.startTimeUnixNano) / 1_000_000n);
    expect(Math.abs(startMs - Date.now())).toBeLessThan(60_000);
    // A request without traceparent starts its own trace.
    expect(b!.parentSpanId).toBeUndefined();
    expect(b!.traceId).toMatch(/^[0-9a-f]{32}$/);
    expect(b!.traceId).not.toBe(a!.traceId);
    expect(attr(b!, 'http.response.status_code')).toEqual({ intValue: 404 });
    expect(c!.name).toBe('HEAD');
    expect(await rws.stop()).toBe(0);
  });

  it('SIGTERM sends the spans still queued; an unsampled parent is not exported', async () => {
    const collector = await startCollector();
    const rws = await startRws({
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: `${collector.url}/custom/path`,
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    const unsampled = '00-11111111111111111111111111111111-2222222222222222-00';
    await fetch(`${rws.origin}/`, { headers: { traceparent: unsampled } });
    await fetch(`${rws.origin}/`);
    expect(collector.received).toHaveLength(0);
    expect(await rws.stop()).toBe(0);
    expect(collector.received).toHaveLength(1);
    expect(collector.received[0]!.path).toBe('/custom/path');
    const spans = collector.spans();
    expect(spans).toHaveLength(1);
    expect(spans[0]!.traceId).not.toBe('11111111111111111111111111111111');
  });

  it('a collector that refuses the batch is a warning on stderr, never a failed request', async () => {
    // 400 is not retried by the SDK's exporter (a 503 would be, with backoff, for seconds).
    const collector = await startCollector(400);
    const rws = await startRws({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_BSP_SCHEDULE_DELAY: '50',
    });
    expect((await fetch(`${rws.origin}/`)).status).toBe(200);
    await rws.waitFor(
      'stderr',
      `rws: warning: OTLP export to ${collector.url}/v1/traces failed: HTTP 400 for 1 spans`,
    );
    expect((await fetch(`${rws.origin}/`)).status).toBe(200);
    expect(await rws.stop()).toBe(0);
  });

  it('OTEL_EXPORTER_OTLP_PROTOCOL=http/protobuf sends protobuf batches', async () => {
    const collector = await startCollector();
    const rws = await startRws({
      OTEL_EXPORTER_OTLP_ENDPOINT: collector.url,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf',
      OTEL_BSP_SCHEDULE_DELAY: '600000',
    });
    const trace = '0af7651916cd43dd8448eb211c80319c';
    await fetch(`${rws.origin}/`, { headers: { traceparent: `00-${trace}-b7ad6b7169203331-01` } });
    expect(await rws.stop()).toBe(0);
    expect(collector.received).toHaveLength(1);
    const batch = collector.received[0]!;
    expect(batch.path).toBe('/v1/traces');
    expect(batch.headers['content-type']).toBe('application/x-protobuf');
    // Protobuf carries the ids as raw bytes (JSON would carry them as hex text).
    expect(batch.raw.includes(Buffer.from(trace, 'hex'))).toBe(true);
    expect(batch.raw.includes(Buffer.from(trace))).toBe(false);
  });
});

describe('otlpConfigFromEnv', () => {
  const read = (env: Record<string, string>) => {
    const warnings: string[] = [];
    return { config: otlpConfigFromEnv(env, (m) => warnings.push(m)), warnings };
  };

  it('is off without an endpoint, with OTEL_SDK_DISABLED or OTEL_TRACES_EXPORTER=none', () => {
    expect(read({}).config).toBeNull();
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    expect(read(on).config?.url).toBe('http://collector:4318/v1/traces');
    expect(read(on).config?.protocol).toBe('http/json');
    expect(read({ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/protobuf' }).config?.protocol).toBe(
      'http/protobuf',
    );
    expect(read({ ...on, OTEL_SDK_DISABLED: 'true' }).config).toBeNull();
    expect(read({ ...on, OTEL_TRACES_EXPORTER: 'none' }).config).toBeNull();
  });

  it('refuses, with a warning, what it cannot do', () => {
    const on = { OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' };
    for (const [env, warning] of [
      [{ ...on, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }, /protocol "grpc" is not supported/],
      [{ ...on, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/xml' }, /"http\/xml" is not supported/],
      [{ ...on, OTEL_TRACES_EXPORTER: 'zipkin' }, /zipkin is not supported/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /is not http\(s\)/],
      [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'not a url' }, /is not a URL/],
    ] as const) {
      const r = read(env);
      expect(r.config, JSON.stringify(env)).toBeNull();
      expect(r.warnings.join('\n')).toMatch(warning);
    }
    const bad = read({
      ...on,
      OTEL_BSP_SCHEDULE_DELAY: 'soon',
      OTEL_EXPORTER_OTLP_HEADERS: 'novalue',
    });
    expect(bad.config?.scheduleDelayMs).toBe(5000);
    expect(bad.config?.headers).toEqual({});
    expect(bad.warnings).toHaveLength(2);
  });
});
