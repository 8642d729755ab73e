import type { DiscoverySource } from '../discovery.js';
import { parseBackendList } from '../internal/backend-list.js';

/**
 * Backends from environment variables whose names start with `prefix`
 * (`RWS_BACKEND_API_1=10.0.0.5:8080`), in name order. A value may list several, comma- or
 * space-separated, each optionally followed by `weight=N`.
 */
export function envSource(
  prefix: string,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DiscoverySource {
  return {
    name: `env:${prefix}`,
    async resolve() {
      const names = Object.keys(env)
        .filter((k) => k.startsWith(prefix))
        .sort();
      const out = [];
      for (const name of names) {
        const text = (env[name] ?? '').split(',').join('\n');
        out.push(...parseBackendList(text, name));
      }
      return out;
    },
  };
}
