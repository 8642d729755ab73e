/**
 * The shapes a benchmark suite declares. A suite is a list of targets (servers, the first one
 * or `subject` being the one under test) and a list of cases (a load each target receives).
 */

/** A started server under test. */
export interface RunningTarget {
  /** Base URL without a trailing slash, e.g. `http://127.0.0.1:40123`. */
  readonly url: string;
  /** Stops the server and waits for its process to exit. */
  stop(): Promise<void>;
}

/** A PEM certificate and key on disk (self-signed for localhost and 127.0.0.1). */
export interface TlsFiles {
  readonly certFile: string;
  readonly keyFile: string;
}

/** What the harness hands a target for the case being run. */
export interface TargetContext {
  /** Base URL of the case's `upstream` (the backend a proxy target forwards to), if it has one. */
  readonly upstream?: string | undefined;
  /** Set for a case with `tls: true`: the target must listen with this certificate (https URL). */
  readonly tls?: TlsFiles | undefined;
  /**
   * Set for a case with `accessLog: true`: a directory the target writes its access log to, as
   * a file named after the target (`<dir>/<target>.log`), with its default line format.
   */
  readonly accessLogDir?: string | undefined;
}

/** One server a suite measures: rws or a peer (node:http, fastify, hono, nginx, …). */
export interface Target {
  readonly name: string;
  /** Starts the server pinned to the server CPU and resolves once its port accepts connections. */
  start(context?: TargetContext): Promise<RunningTarget>;
}

/** HTTP/1.1 load driven by wrk (one thread, keep-alive, optional pipelining). */
export interface WrkLoad {
  readonly tool: 'wrk';
  /** Request path, e.g. `/`. */
  readonly path: string;
  readonly connections: number;
  /** wrk threads. Default 1: the load generator owns exactly one CPU. */
  readonly threads?: number;
  /** Requests written back to back per connection (HTTP/1.1 pipelining). Default 1. */
  readonly pipeline?: number;
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly body?: string;
}

/** HTTP/2 (h2c or h2 over TLS, chosen by the URL scheme) load driven by h2load. */
export interface H2loadLoad {
  readonly tool: 'h2load';
  readonly path: string;
  readonly connections: number;
  /** Max concurrent streams per connection (`h2load -m`). Default 10. */
  readonly streams?: number;
  /** h2load threads. Default 1. */
  readonly threads?: number;
  readonly headers?: Readonly<Record<string, string>>;
}

export type Load = WrkLoad | H2loadLoad;

/** One measured scenario of a suite (e.g. `keep-alive`, `pipelined-10`). */
interface BenchCase {
  readonly name: string;
  readonly load: Load;
  /**
   * What the table's ratio is computed on: `requests` (req/s, default) or `transfer` (bytes
   * per second, wrk's `Transfer/sec`; the table then adds a MiB/s column). Use `transfer` for
   * large responses, where a handful of requests per second says little.
   */
  readonly metric?: 'requests' | 'transfer';
  /**
   * A backend started once before the case's rounds and stopped after them (e.g. the nginx a
   * proxy forwards to); every target gets its URL as `context.upstream`. Not measured.
   */
  readonly upstream?: Target;
  /**
   * Serve this case over TLS: the harness generates a self-signed certificate once and passes
   * it as `context.tls`; targets answer on `https://` (h2load then negotiates h2 by ALPN).
   */
  readonly tls?: boolean;
  /**
   * Targets log every request to a file (`context.accessLogDir`): servers as users run them,
   * logging on, beside the same case with logging off.
   */
  readonly accessLog?: boolean;
  /**
   * Names of the targets that run this case (the subject always runs); default all. For a
   * peer that only answers some paths, e.g. a hello-world server in a suite that also serves
   * files.
   */
  readonly targets?: readonly string[];
}

/** A benchmark: `pnpm bench <name>` runs every case against every target. */
export interface Suite {
  readonly name: string;
  readonly description: string;
  /** The target the ratios are computed for. Default: the first target. */
  readonly subject?: string;
  readonly targets: readonly Target[];
  readonly cases: readonly BenchCase[];
}

/** What one load-generator run measured. Latencies are in milliseconds. */
export interface Measurement {
  readonly requestsPerSec: number;
  readonly requests: number;
  readonly durationSec: number;
  readonly p50Ms: number | null;
  readonly p75Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  /** Socket errors, failed or non-2xx/3xx responses, summed. */
  readonly errors: number;
  /** Bytes read per second (wrk's `Transfer/sec`); absent when the tool does not report it. */
  readonly transferBytesPerSec?: number | undefined;
}

/** Per-target summary over all rounds of one case. */
export interface TargetSummary {
  readonly target: string;
  /** Median over rounds (or the best round, with `--stat best`). */
  readonly requestsPerSec: number;
  /** (max - min) / median over rounds, in percent; 0 with one round. */
  readonly spreadPct: number;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly errors: number;
  /** Bytes/s of the same round(s) as `requestsPerSec`; null when no round reported it. */
  readonly transferBytesPerSec?: number | null;
  readonly rounds: readonly Measurement[];
}
