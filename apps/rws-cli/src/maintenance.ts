/**
 * Maintenance mode, toggled at run time (the admin MCP endpoint's `set_maintenance`): while
 * on, the site answers every request 503 with `Retry-After`. The built-in health endpoints
 * answer before the site, so probes keep working and a load balancer can drain by `/readyz`.
 */
import type { Handler } from '@rws/core';
import { text } from '@rws/core';

export interface MaintenanceState {
  readonly enabled: boolean;
  readonly retryAfterSeconds: number;
  readonly message: string;
  /** When it was turned on (ISO 8601), or null. */
  readonly since: string | null;
}

const DEFAULT_MESSAGE = 'Service temporarily unavailable for maintenance';

export class Maintenance {
  #state: MaintenanceState = {
    enabled: false,
    retryAfterSeconds: 60,
    message: DEFAULT_MESSAGE,
    since: null,
  };

  state(): MaintenanceState {
    return this.#state;
  }

  set(
    enabled: boolean,
    options: { retryAfterSeconds?: number | undefined; message?: string | undefined } = {},
  ): void {
    this.#state = {
      enabled,
      retryAfterSeconds: options.retryAfterSeconds ?? this.#state.retryAfterSeconds,
      message: options.message ?? DEFAULT_MESSAGE,
      since: enabled ? (this.#state.since ?? new Date().toISOString()) : null,
    };
  }

  /** `site` behind the switch. */
  wrap(site: Handler): Handler {
    return (req) => {
      const s = this.#state;
      if (!s.enabled) return site(req);
      const res = text(`${s.message}\n`, { status: 503 });
      res.headers.set('retry-after', String(s.retryAfterSeconds));
      res.headers.set('cache-control', 'no-store');
      return res;
    };
  }
}
