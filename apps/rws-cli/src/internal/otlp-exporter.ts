/**
 * A small OTLP/HTTP JSON trace exporter for `rws`: the server spans of `tracing()` (read from
 * its `rws:middleware:response` diagnostics channel), batched and POSTed to a collector. Our
 * own rather than the OpenTelemetry SDK because the binary takes no runtime dependency beyond
 * the platform's list (see the CLI README), and spans of one kind need a few dozen lines.
 *
 * @see https://opentelemetry.io/docs/specs/otlp/#otlphttp (JSON encoding: ids in hex)
 */
import { subscribe, unsubscribe } from 'node:diagnostics_channel';
import { serverSpanAttributes, type TracingResponseMessage } from '@rws/middleware/tracing';
import { VERSION } from '../version.js';
import type { OtlpConfig } from './otlp-config.js';

interface OtlpKeyValue {
  key: string;
  value: { stringValue: string } | { intValue: string } | { doubleValue: number };
}

/** One span in OTLP JSON (`opentelemetry.proto.trace.v1.Span`). */
interface OtlpSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  traceState?: string;
  name: string;
  kind: 2;
  startTimeUnixNano: string;
  endTimeUnixNano: string;
  attributes: OtlpKeyValue[];
  status: { code: 0 | 2; message?: string };
}

function keyValues(attributes: Record<string, string | number>): OtlpKeyValue[] {
  return Object.entries(attributes).map(([key, v]) => ({
    key,
    value:
      typeof v === 'string'
        ? { stringValue: v }
        : Number.isInteger(v)
          ? { intValue: String(v) }
          : { doubleValue: v },
  }));
}

/** Milliseconds since the epoch (fractional) as an integer nanosecond string. */
const nanos = (ms: number): string =>
  (BigInt(Math.floor(ms)) * 1_000_000n + BigInt(Math.round((ms % 1) * 1e6))).toString();

function toSpan(m: TracingResponseMessage, endMs: number): OtlpSpan {
  const attributes = serverSpanAttributes(m.request);
  const status: OtlpSpan['status'] = { code: 0 };
  if (m.response !== null) {
    attributes['http.response.status_code'] = m.response.status;
    // Server spans mark only 5xx as errors; 4xx are the client's (semantic conventions).
    if (m.response.status >= 500) {
      status.code = 2;
      attributes['error.type'] = String(m.response.status);
    }
  } else {
    status.code = 2;
    status.message = m.error instanceof Error ? m.error.message : String(m.error);
    attributes['error.type'] = m.error instanceof Error ? m.error.constructor.name : 'unknown';
  }
  return {
    traceId: m.trace.traceId,
    spanId: m.trace.spanId,
    ...(m.trace.parentSpanId === null ? {} : { parentSpanId: m.trace.parentSpanId }),
    ...(m.trace.tracestate === null ? {} : { traceState: m.trace.tracestate }),
    name: m.request.method,
    kind: 2,
    startTimeUnixNano: nanos(endMs - m.durationMs),
    endTimeUnixNano: nanos(endMs),
    attributes: keyValues(attributes),
    status,
  };
}

/** The running exporter. */
export interface OtlpExporter {
  /** Sends what is queued now; resolves when the collector answered (or failed). */
  flush(): Promise<void>;
  /** Stops collecting, then flushes. */
  close(): Promise<void>;
}

/**
 * Starts exporting the sampled spans `tracing()` reports. A batch goes out when it is full
 * (`maxBatchSize`) or `scheduleDelayMs` after its first span; spans beyond `maxQueueSize`
 * are dropped and counted. A failed export is reported through `warn` once per distinct
 * reason and never affects requests.
 */
export function startOtlpExporter(
  config: OtlpConfig,
  warn: (message: string) => void,
): OtlpExporter {
  let queue: OtlpSpan[] = [];
  let timer: NodeJS.Timeout | null = null;
  let dropped = 0;
  let lastProblem = '';
  const inFlight = new Set<Promise<void>>();
  const resource = {
    attributes: keyValues({
      'service.name': config.serviceName,
      'telemetry.sdk.name': '@rws/cli',
      'telemetry.sdk.language': 'nodejs',
      'telemetry.sdk.version': VERSION,
    }),
  };

  const report = (problem: string): void => {
    if (problem === lastProblem) return;
    lastProblem = problem;
    warn(`OTLP export to ${config.url} failed: ${problem}`);
  };

  const send = async (spans: OtlpSpan[]): Promise<void> => {
    const body = JSON.stringify({
      resourceSpans: [{ resource, scopeSpans: [{ scope: { name: '@rws/middleware' }, spans }] }],
    });
    try {
      const res = await fetch(config.url, {
        method: 'POST',
        headers: { ...config.headers, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(config.timeoutMs),
      });
      // The body is read so the connection can be reused; its content (partial success) is not.
      await res.arrayBuffer().catch(() => undefined);
      if (!res.ok) report(`HTTP ${res.status} for ${spans.length} spans`);
      else lastProblem = '';
    } catch (err) {
      report((err as Error).message);
    }
  };

  const flush = async (): Promise<void> => {
    if (timer !== null) clearTimeout(timer);
    timer = null;
    if (dropped > 0) {
      report(
        `queue full (OTEL_BSP_MAX_QUEUE_SIZE ${config.maxQueueSize}): ${dropped} spans dropped`,
      );
      dropped = 0;
    }
    while (queue.length > 0) {
      const batch = queue.slice(0, config.maxBatchSize);
      queue = queue.slice(batch.length);
      const p = send(batch).finally(() => inFlight.delete(p));
      inFlight.add(p);
    }
    await Promise.all(inFlight);
  };

  const onResponse = (message: unknown): void => {
    const m = message as TracingResponseMessage;
    if (!m.trace.isSampled) return;
    if (queue.length >= config.maxQueueSize) {
      dropped++;
      return;
    }
    queue.push(toSpan(m, performance.timeOrigin + performance.now()));
    if (queue.length >= config.maxBatchSize) void flush();
    else if (timer === null) {
      timer = setTimeout(() => void flush(), config.scheduleDelayMs);
      timer.unref();
    }
  };
  subscribe('rws:middleware:response', onResponse);

  return {
    flush,
    async close() {
      unsubscribe('rws:middleware:response', onResponse);
      await flush();
    },
  };
}
