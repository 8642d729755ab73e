/**
 * The slice of `@opentelemetry/api` that `tracing()` uses, typed structurally so the package
 * is an optional peer, never a dependency (CONVENTIONS rule 8).
 */

/** A span context as the OpenTelemetry API reports it. */
export interface OtelSpanContext {
  traceId: string;
  spanId: string;
  traceFlags: number;
  isRemote?: boolean;
  traceState?: unknown;
}

/** The span methods `tracing()` calls. */
export interface OtelSpan {
  spanContext(): OtelSpanContext;
  isRecording(): boolean;
  setAttribute(key: string, value: string | number): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  recordException(exception: unknown): void;
  end(): void;
}

/** A tracer. */
export interface OtelTracer {
  startSpan(
    name: string,
    options: { kind: number; attributes: Record<string, string | number> },
    context: unknown,
  ): OtelSpan;
}

/** The parts of the `@opentelemetry/api` module used. */
export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    setSpan(context: unknown, span: OtelSpan): unknown;
    setSpanContext(context: unknown, spanContext: OtelSpanContext): unknown;
  };
  context: {
    active(): unknown;
    with<T>(context: unknown, fn: () => T): T;
  };
  createTraceState?(raw?: string): unknown;
  ROOT_CONTEXT: unknown;
  SpanKind: { SERVER: number };
  SpanStatusCode: { ERROR: number };
}

/** Imports `@opentelemetry/api` when the application has it installed, else null. */
export async function loadOpenTelemetry(): Promise<OtelApi | null> {
  // A variable specifier keeps bundlers and the type checker from requiring the package.
  const specifier = '@opentelemetry/api';
  try {
    const mod = (await import(specifier)) as OtelApi & { default?: OtelApi };
    const api = mod.trace !== undefined ? mod : mod.default;
    return api?.trace !== undefined ? api : null;
  } catch {
    return null;
  }
}
