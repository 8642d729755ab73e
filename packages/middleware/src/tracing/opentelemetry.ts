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
  traceState?: OtelTraceState | undefined;
}

/** The API's `TraceState`: only its serialization is read. */
export interface OtelTraceState {
  serialize(): string;
}

/** The span methods `tracing()` calls. */
export interface OtelSpan {
  spanContext(): OtelSpanContext;
  isRecording(): boolean;
  setAttribute(key: string, value: string | number): unknown;
  setStatus(status: { code: number; message?: string }): unknown;
  updateName(name: string): unknown;
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

/** A `TracerProvider`, such as the SDK's `BasicTracerProvider` / `NodeTracerProvider`. */
export interface OtelTracerProvider {
  getTracer(name: string, version?: string): OtelTracer;
}

/** How a `TextMapPropagator` reads a carrier (here: the request's headers). */
export interface OtelTextMapGetter<C> {
  keys(carrier: C): string[];
  get(carrier: C, key: string): string | string[] | undefined;
}

/** How a `TextMapPropagator` writes a carrier (here: the headers passed to the handler). */
export interface OtelTextMapSetter<C> {
  set(carrier: C, key: string, value: string): void;
}

/**
 * A `TextMapPropagator` (`W3CTraceContextPropagator` of `@opentelemetry/core`, a composite
 * with baggage, B3, …), or the API's `propagation` object, which delegates to the registered one.
 */
export interface OtelPropagator {
  // Method-shorthand on purpose: the API declares these generic over the carrier type.
  inject<C>(context: unknown, carrier: C, setter: OtelTextMapSetter<C>): void;
  extract<C>(context: unknown, carrier: C, getter: OtelTextMapGetter<C>): unknown;
  fields(): string[];
}

/** The parts of the `@opentelemetry/api` module used. */
export interface OtelApi {
  trace: {
    getTracer(name: string, version?: string): OtelTracer;
    getSpanContext(context: unknown): OtelSpanContext | undefined;
    isSpanContextValid(spanContext: OtelSpanContext): boolean;
    setSpan(context: unknown, span: OtelSpan): unknown;
    setSpanContext(context: unknown, spanContext: OtelSpanContext): unknown;
  };
  context: {
    with<T>(context: unknown, fn: () => T): T;
  };
  propagation: OtelPropagator;
  createTraceState(raw?: string): OtelTraceState;
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
