import type { BackendOptions } from '../upstream.js';
import { invalidOption } from './proxy-error.js';

/** Parses the backend list format of `fileSource`. */
export function parseBackendList(text: string, where: string): BackendOptions[] {
  const out: BackendOptions[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i]!.replace(/#.*/, '').trim();
    if (line === '') continue;
    const [address, ...rest] = line.split(/\s+/);
    const entry: BackendOptions = {
      url: address!.includes('://') ? address! : `http://${address}`,
    };
    for (const option of rest) {
      const m = /^weight=(\d+(?:\.\d+)?)$/.exec(option);
      if (m === null)
        throw invalidOption(`${where}:${i + 1}`, option, 'weight=N after the address');
      entry.weight = Number(m[1]);
    }
    out.push(entry);
  }
  return out;
}
