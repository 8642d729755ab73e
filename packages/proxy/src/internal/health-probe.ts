/** Active health checks of an upstream's backends. */
import type { HealthCheckOptions } from '../upstream.js';
import type { BackendState } from './backend-state.js';

/**
 * One active health check of `b` (over HTTP/2 or HTTP/3 for such a backend), counted into its
 * pass/fail streaks: `healthyThreshold` passes bring it back, `unhealthyThreshold` fails take
 * it out.
 */
export async function probeBackend(b: BackendState, hc: HealthCheckOptions): Promise<void> {
  const timeoutMs = hc.timeoutMs ?? 2000;
  const expected = hc.expectedStatus ?? [200, 299];
  let isPass = false;
  try {
    const multiplexed = b.h2 ?? b.h3;
    if (multiplexed !== null) {
      // HTTP/2 and HTTP/3 backends are probed over their own protocol, on the shared session.
      const res = await multiplexed.request(`${b.origin}${hc.path ?? '/health'}`, {
        headers: hc.host === undefined ? undefined : { host: hc.host },
        signal: AbortSignal.timeout(timeoutMs),
      });
      await res.body.bytes({ limit: 64 * 1024 }).catch(() => {});
      isPass =
        typeof expected === 'number'
          ? res.status === expected
          : res.status >= expected[0] && res.status <= expected[1];
      return recordProbe(b, hc, isPass);
    }
    const res = await b.pool.request({
      method: 'GET',
      path: hc.path ?? '/health',
      headers: hc.host === undefined ? null : { host: hc.host },
      signal: AbortSignal.timeout(timeoutMs),
      timeouts: {
        connectTimeoutMs: timeoutMs,
        headersTimeoutMs: timeoutMs,
        bodyTimeoutMs: timeoutMs,
      },
    });
    // Drain (small) probe bodies so the socket is reused.
    await res.body.bytes({ limit: 64 * 1024 }).catch(() => {});
    isPass =
      typeof expected === 'number'
        ? res.status === expected
        : res.status >= expected[0] && res.status <= expected[1];
  } catch {
    isPass = false;
  }
  recordProbe(b, hc, isPass);
}

function recordProbe(b: BackendState, hc: HealthCheckOptions, isPass: boolean): void {
  if (isPass) {
    b.healthFails = 0;
    b.healthPasses++;
    if (!b.isHealthy && b.healthPasses >= (hc.healthyThreshold ?? 2)) b.isHealthy = true;
  } else {
    b.healthChecksFailed++;
    b.healthPasses = 0;
    b.healthFails++;
    if (b.isHealthy && b.healthFails >= (hc.unhealthyThreshold ?? 3)) b.isHealthy = false;
  }
}
