import { createUpstream, type Upstream } from '../upstream.js';

/**
 * Upstreams made for a bare backend URL, shared by every proxy naming the same URL so they use
 * one keep-alive pool; each `acquire` is paired with a `release`, the last one closes it.
 */
const shared = new Map<string, { upstream: Upstream; refs: number }>();

export function acquireUrlUpstream(url: string): {
  upstream: Upstream;
  release: () => Promise<void>;
} {
  const probe = createUpstream({ name: url, backends: [url], outlierDetection: false });
  const key = probe.backends[0]!.url;
  let entry = shared.get(key);
  if (entry === undefined) {
    entry = { upstream: probe, refs: 0 };
    shared.set(key, entry);
  } else {
    // Nothing was opened yet: pools connect on first request.
    void probe.close();
  }
  entry.refs++;
  const held = entry;
  let isReleased = false;
  return {
    upstream: held.upstream,
    async release() {
      if (isReleased) return;
      isReleased = true;
      held.refs--;
      if (held.refs === 0) {
        if (shared.get(key) === held) shared.delete(key);
        await held.upstream.close();
      }
    },
  };
}
