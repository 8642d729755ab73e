/**
 * `subscriptions/listen` streams (MCP 2026-07-28, "Patterns / Subscriptions"): each is the SSE
 * response of one listen request, opted in to some change notifications. They replace the GET
 * stream and `resources/subscribe` of the session-based revisions.
 */
import type { SseEvent } from '@rws/core';
import type { Channel } from '../channel.js';
import type { RequestId } from '../json-rpc.js';

const SUBSCRIPTION_ID = 'io.modelcontextprotocol/subscriptionId';

/** What a listener opted in to (and the server agreed to honour). */
export interface SubscriptionFilter {
  toolsListChanged?: boolean;
  promptsListChanged?: boolean;
  resourcesListChanged?: boolean;
  resourceSubscriptions?: string[];
}

interface Listener {
  readonly id: RequestId;
  readonly filter: SubscriptionFilter;
  readonly channel: Channel<SseEvent>;
  readonly stop: () => void;
}

const LIST_FLAGS = {
  tools: 'toolsListChanged',
  prompts: 'promptsListChanged',
  resources: 'resourcesListChanged',
} as const;

export class Listeners {
  readonly #all = new Set<Listener>();
  readonly #serverInfo: Record<string, unknown>;

  constructor(serverInfo: Record<string, unknown>) {
    this.#serverInfo = serverInfo;
  }

  /**
   * Starts a stream: the acknowledgement first (MUST precede any notification), then what
   * comes. `stop` runs when the stream ends, whoever ends it.
   */
  add(
    id: RequestId,
    filter: SubscriptionFilter,
    channel: Channel<SseEvent>,
    stop: () => void,
  ): () => void {
    const listener: Listener = { id, filter, channel, stop };
    this.#all.add(listener);
    this.#push(listener, 'notifications/subscriptions/acknowledged', { notifications: filter });
    return () => this.#remove(listener);
  }

  listChanged(kind: keyof typeof LIST_FLAGS): void {
    const flag = LIST_FLAGS[kind];
    for (const l of this.#all) {
      if (l.filter[flag] === true) this.#push(l, `notifications/${kind}/list_changed`, {});
    }
  }

  resourceUpdated(uri: string): void {
    for (const l of this.#all) {
      if (l.filter.resourceSubscriptions?.includes(uri)) {
        this.#push(l, 'notifications/resources/updated', { uri });
      }
    }
  }

  /** Server shutdown: each stream gets its graceful closing result, then ends. */
  close(): void {
    for (const l of [...this.#all]) {
      l.channel.push({
        event: 'message',
        data: {
          jsonrpc: '2.0',
          id: l.id,
          result: {
            resultType: 'complete',
            _meta: {
              [SUBSCRIPTION_ID]: l.id,
              'io.modelcontextprotocol/serverInfo': this.#serverInfo,
            },
          },
        },
      });
      this.#remove(l);
    }
  }

  #push(l: Listener, method: string, params: Record<string, unknown>): void {
    l.channel.push({
      event: 'message',
      data: { jsonrpc: '2.0', method, params: { ...params, _meta: { [SUBSCRIPTION_ID]: l.id } } },
    });
  }

  #remove(l: Listener): void {
    if (!this.#all.delete(l)) return;
    l.channel.close();
    l.stop();
  }
}
