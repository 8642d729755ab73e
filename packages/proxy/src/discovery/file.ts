import { watch } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname } from 'node:path';
import type { DiscoverySource } from '../discovery.js';
import { parseBackendList } from '../internal/backend-list.js';

/**
 * Backends listed in a file, one per line: `http://10.0.0.5:8080`, `10.0.0.6:8080` or either
 * followed by `weight=N`. Blank lines and `#` comments are ignored. The file is watched: a
 * save (including an atomic rename over it) triggers a refresh.
 */
export function fileSource(path: string): DiscoverySource {
  return {
    name: `file:${path}`,
    async resolve() {
      const text = await readFile(path, 'utf8');
      return parseBackendList(text, path);
    },
    watch(onChange) {
      // Watch the directory: editors and deploy tools replace the file, which ends a file watch.
      const name = basename(path);
      const watcher = watch(dirname(path), (_event, file) => {
        if (file === null || file === name) onChange();
      });
      watcher.on('error', () => {});
      return () => watcher.close();
    },
  };
}
