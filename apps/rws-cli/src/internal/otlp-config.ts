/**
 * The OpenTelemetry environment variables `rws` honours for its trace exporter (names and
 * defaults from the OpenTelemetry SDK environment-variable specification).
 */

/** The resolved exporter settings, or why there is no exporter. */
export interface OtlpConfig {
  /** Full URL the batches are POSTed to (`…/v1/traces`). */
  readonly url: string;
  /** The encoding: JSON (the default here) or protobuf. */
  readonly protocol: OtlpProtocol;
  readonly headers: Readonly<Record<string, string>>;
  readonly serviceName: string;
  /** Longest wait before a non-full batch is sent. */
  readonly scheduleDelayMs: number;
  readonly maxBatchSize: number;
  /** Spans waiting beyond this are dropped (and counted) rather than piling up in memory. */
  readonly maxQueueSize: number;
  readonly timeoutMs: number;
}

/** The OTLP/HTTP encodings the SDK exporters `rws` ships speak. */
type OtlpProtocol = 'http/json' | 'http/protobuf';

type Env = Readonly<Record<string, string | undefined>>;

function positiveInt(env: Env, name: string, fallback: number, warn: (m: string) => void) {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const n = Number(raw);
  if (Number.isSafeInteger(n) && n > 0) return n;
  warn(`${name}=${JSON.stringify(raw)} is not a positive integer; using ${fallback}`);
  return fallback;
}

/** `k1=v1,k2=v2` with percent-encoded values (OTEL_EXPORTER_OTLP_HEADERS). */
function parseHeaders(raw: string | undefined, name: string, warn: (m: string) => void) {
  const out: Record<string, string> = {};
  for (const part of (raw ?? '').split(',')) {
    if (part.trim() === '') continue;
    const eq = part.indexOf('=');
    const key = eq === -1 ? '' : part.slice(0, eq).trim().toLowerCase();
    if (!/^[!#$%&'*+.^_`|~0-9a-z-]+$/.test(key)) {
      warn(`${name}: entry ${JSON.stringify(part.slice(0, 40))} is not key=value; ignored`);
      continue;
    }
    try {
      out[key] = decodeURIComponent(part.slice(eq + 1).trim());
    } catch {
      warn(`${name}: the value of ${key} is not valid percent-encoding; ignored`);
    }
  }
  return out;
}

/**
 * Reads the exporter settings from `env`. Null (no exporter) when neither
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` nor `OTEL_EXPORTER_OTLP_ENDPOINT` is set, when
 * `OTEL_SDK_DISABLED=true` or `OTEL_TRACES_EXPORTER=none`, and — with a warning — when the
 * endpoint is not an http(s) URL or a protocol other than `http/json` and `http/protobuf`
 * (gRPC) is asked for.
 */
export function otlpConfigFromEnv(env: Env, warn: (message: string) => void): OtlpConfig | null {
  const signal = env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'];
  const base = env['OTEL_EXPORTER_OTLP_ENDPOINT'];
  if ((signal === undefined || signal === '') && (base === undefined || base === '')) return null;
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') return null;
  const exporter = env['OTEL_TRACES_EXPORTER']?.trim().toLowerCase();
  if (exporter === 'none') return null;
  if (exporter !== undefined && exporter !== '' && exporter !== 'otlp') {
    warn(`OTEL_TRACES_EXPORTER=${exporter} is not supported (only otlp); traces are not exported`);
    return null;
  }
  const protocol = (
    env['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL'] ||
    env['OTEL_EXPORTER_OTLP_PROTOCOL'] ||
    'http/json'
  ).trim();
  if (protocol !== 'http/json' && protocol !== 'http/protobuf') {
    warn(
      `OTLP protocol ${JSON.stringify(protocol)} is not supported: rws exports http/json or http/protobuf (set OTEL_EXPORTER_OTLP_PROTOCOL); traces are not exported`,
    );
    return null;
  }
  // The per-signal variable is the URL as it is; the base one gets the signal path appended.
  const url =
    signal !== undefined && signal !== '' ? signal : `${base!.replace(/\/+$/, '')}/v1/traces`;
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    warn(`OTLP endpoint ${JSON.stringify(url)} is not a URL; traces are not exported`);
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    warn(`OTLP endpoint ${JSON.stringify(url)} is not http(s); traces are not exported`);
    return null;
  }
  return {
    url,
    protocol,
    headers: {
      ...parseHeaders(env['OTEL_EXPORTER_OTLP_HEADERS'], 'OTEL_EXPORTER_OTLP_HEADERS', warn),
      ...parseHeaders(
        env['OTEL_EXPORTER_OTLP_TRACES_HEADERS'],
        'OTEL_EXPORTER_OTLP_TRACES_HEADERS',
        warn,
      ),
    },
    serviceName: env['OTEL_SERVICE_NAME']?.trim() || 'rws',
    scheduleDelayMs: positiveInt(env, 'OTEL_BSP_SCHEDULE_DELAY', 5000, warn),
    maxBatchSize: positiveInt(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 512, warn),
    maxQueueSize: positiveInt(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 2048, warn),
    timeoutMs: positiveInt(
      env,
      'OTEL_EXPORTER_OTLP_TRACES_TIMEOUT',
      positiveInt(env, 'OTEL_EXPORTER_OTLP_TIMEOUT', 10_000, warn),
      warn,
    ),
  };
}
