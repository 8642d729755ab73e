/**
 * `request()`: one-call HTTP/1.1 client over a process-wide keep-alive `Agent`.
 */
import { Agent, type RequestOptions } from './agent.js';
import type { ClientResponse } from './internal/client-response.js';

let globalAgent: Agent | null = null;

/** The agent `request()` uses when none is given (created on first use). */
export function getGlobalAgent(): Agent {
  globalAgent ??= new Agent();
  return globalAgent;
}

/** Replaces the agent `request()` uses; the previous one is returned, not closed. */
export function setGlobalAgent(agent: Agent): Agent | null {
  const previous = globalAgent;
  globalAgent = agent;
  return previous;
}

/** Options of `request()`: a request plus an optional agent. */
export interface ClientRequestOptions extends RequestOptions {
  /** Agent whose pools to use. Default: the global agent. */
  agent?: Agent | undefined;
}

/**
 * Sends an HTTP/1.1 request over a keep-alive pool and resolves once the response head has
 * arrived. The body streams with backpressure: read it, or cancel it, to free the socket.
 *
 * @example
 * ```ts
 * import { request } from '@rws/http1';
 * const res = await request({ url: 'http://127.0.0.1:8080/items', method: 'POST', body: '{}' });
 * if (res.status === 201) console.log(await res.body.json());
 * ```
 */
export function request(options: ClientRequestOptions): Promise<ClientResponse> {
  const { agent, ...rest } = options;
  return (agent ?? getGlobalAgent()).request(rest);
}
