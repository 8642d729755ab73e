/**
 * The OTLP trace export of `rws`, made of the OpenTelemetry SDK (DESIGN.md: the binary may
 * ship the SDK's OTLP exporter rather than write one): a `TracerProvider` with a
 * `BatchSpanProcessor` over the SDK's OTLP/HTTP exporter, handed to `tracing()` of
 * @rws/middleware together with `@opentelemetry/core`'s W3C propagator. Nothing is registered
 * globally except the SDK's error reporting, which becomes `rws: warning:` lines.
 *
 * The packages are imported only when an endpoint is configured: a server without OTLP export
 * loads none of them.
 */
import type { ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace';
import type { Middleware } from '@rws/core';
import { tracing } from '@rws/middleware/tracing';
import type { OtlpConfig } from './otlp-config.js';

/** The running export. */
export interface OtlpTracing {
  /** `tracing()` wired to the SDK: first in the chain. */
  readonly middleware: Middleware;
  /** Sends what is queued now; resolves when the collector answered (or failed). */
  flush(): Promise<void>;
  /** Sends what is queued, then stops the exporter. */
  close(): Promise<void>;
}

function exporterFor(config: OtlpConfig) {
  const options = {
    url: config.url,
    headers: { ...config.headers },
    timeoutMillis: config.timeoutMs,
  };
  return config.protocol === 'http/protobuf'
    ? import('@opentelemetry/exporter-trace-otlp-proto').then(
        (m) => new m.OTLPTraceExporter(options),
      )
    : import('@opentelemetry/exporter-trace-otlp-http').then(
        (m) => new m.OTLPTraceExporter(options),
      );
}

/** What failed, for the warning line: the HTTP status when the collector answered. */
function describeFailure(error: unknown): string {
  const code = (error as { code?: unknown } | undefined)?.code;
  if (typeof code === 'number') return `HTTP ${code}`;
  return error instanceof Error ? error.message : 'export failed';
}

/**
 * Starts exporting a `SERVER` span per sampled request. A batch goes out when it is full
 * (`maxBatchSize`) or `scheduleDelayMs` after its first span; spans beyond `maxQueueSize` are
 * dropped. Failures are reported through `warn` once per distinct reason and never affect
 * requests.
 */
export async function startOtlpTracing(
  config: OtlpConfig,
  warn: (message: string) => void,
): Promise<OtlpTracing> {
  const [api, core, resources, sdk, otlp] = await Promise.all([
    import('@opentelemetry/api'),
    import('@opentelemetry/core'),
    import('@opentelemetry/resources'),
    import('@opentelemetry/sdk-trace'),
    exporterFor(config),
  ]);
  let lastProblem = '';
  const report = (problem: string): void => {
    if (problem === lastProblem) return;
    lastProblem = problem;
    warn(`OTLP export to ${config.url} failed: ${problem}`);
  };
  // A failed batch is reported by the exporter below with its URL; the processor then hands
  // the same error to the SDK's global error handler, which must not say it twice.
  const reported = new WeakSet<object>();
  core.setGlobalErrorHandler((error) => {
    if (typeof error === 'object' && error !== null && reported.has(error)) return;
    report(describeFailure(error));
  });
  // The SDK's own warnings (a full queue: "Dropped N spans because maxQueueSize reached").
  api.diag.setLogger(
    {
      error: (message) => report(message),
      warn: (message) => report(message),
      info() {},
      debug() {},
      verbose() {},
    },
    api.DiagLogLevel.WARN,
  );
  const exporter: SpanExporter = {
    export(spans: ReadableSpan[], done: (result: ExportResult) => void): void {
      otlp.export(spans, (result) => {
        if (result.code === core.ExportResultCode.SUCCESS) lastProblem = '';
        else {
          if (result.error !== undefined) reported.add(result.error);
          report(`${describeFailure(result.error)} for ${spans.length} spans`);
        }
        done(result);
      });
    },
    shutdown: () => otlp.shutdown(),
    forceFlush: () => otlp.forceFlush(),
  };
  const provider = new sdk.TracerProvider({
    resource: resources
      .defaultResource()
      .merge(resources.resourceFromAttributes({ 'service.name': config.serviceName })),
    spanProcessors: [
      new sdk.BatchSpanProcessor({
        exporter,
        scheduledDelayMillis: config.scheduleDelayMs,
        maxExportBatchSize: config.maxBatchSize,
        maxQueueSize: config.maxQueueSize,
        exportTimeoutMillis: config.timeoutMs,
      }),
    ],
  });
  return {
    middleware: tracing({
      opentelemetry: api,
      tracerProvider: provider,
      propagator: new core.W3CTraceContextPropagator(),
    }),
    // A failed last batch was reported above already: shutting down goes on regardless.
    flush: () => provider.forceFlush().catch(() => {}),
    close: () => provider.shutdown().catch(() => {}),
  };
}
