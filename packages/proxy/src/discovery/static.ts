import type { DiscoverySource } from '../discovery.js';
import type { BackendOptions } from '../upstream.js';

/** A fixed list of backends. */
export function staticSource(backends: ReadonlyArray<string | BackendOptions>): DiscoverySource {
  const list = backends.map((b) => (typeof b === 'string' ? { url: b } : { ...b }));
  return { name: 'static', resolve: async () => list.map((b) => ({ ...b })) };
}
