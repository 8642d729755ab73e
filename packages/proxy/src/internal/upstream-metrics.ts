/** The `/metrics` series of an upstream's backends. */
import type { BackendState } from './backend-state.js';

/**
 * The Prometheus text of one upstream's backends: health, ejection, circuit, in-flight
 * requests and counters, one series per backend.
 */
export function upstreamMetrics(upstream: string, list: readonly BackendState[]): string {
  const now = Date.now();
  const lines: string[] = [];
  const gauge = (
    name: string,
    help: string,
    type: string,
    value: (b: BackendState) => number,
  ): void => {
    lines.push(`# HELP ${name} ${help}`, `# TYPE ${name} ${type}`);
    for (const b of list) {
      lines.push(
        `${name}{upstream="${escapeLabel(upstream)}",backend="${escapeLabel(b.url)}"} ${value(b)}`,
      );
    }
  };
  gauge('rws_upstream_backend_healthy', '1 when active health checks pass', 'gauge', (b) =>
    b.isHealthy ? 1 : 0,
  );
  gauge(
    'rws_upstream_backend_ejected',
    '1 while outlier detection ejects the backend',
    'gauge',
    (b) => (b.isEjected(now) ? 1 : 0),
  );
  gauge('rws_upstream_backend_circuit_open', '1 while the circuit breaker is open', 'gauge', (b) =>
    b.breaker?.state(now) === 'open' ? 1 : 0,
  );
  gauge('rws_upstream_backend_active_requests', 'Requests in flight', 'gauge', (b) => b.active);
  gauge('rws_upstream_backend_requests_total', 'Requests sent', 'counter', (b) => b.requests);
  gauge(
    'rws_upstream_backend_failures_total',
    'Failed requests (connect, timeout, reset, 5xx)',
    'counter',
    (b) => b.failures,
  );
  gauge(
    'rws_upstream_backend_ejections_total',
    'Times outlier detection ejected the backend',
    'counter',
    (b) => b.ejections,
  );
  gauge(
    'rws_upstream_backend_health_check_failures_total',
    'Failed health probes',
    'counter',
    (b) => b.healthChecksFailed,
  );
  return `${lines.join('\n')}\n`;
}

function escapeLabel(value: string): string {
  return value.replace(/[\\"\n]/g, (c) => (c === '\n' ? '\\n' : `\\${c}`));
}
