/**
 * Samples this process's memory while a test streams a large body. `arrayBuffers` is read
 * right after a full collection, so garbage (chunks already sent or read) is not counted as
 * retention: the peak is what the code under test still held. RSS is sampled as it is.
 */
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

setFlagsFromString('--expose-gc');
const gc = runInNewContext('gc') as () => void;

/** Peaks above the baseline taken when sampling started, in bytes. */
export interface MemoryPeaks {
  readonly retainedArrayBuffers: number;
  readonly rss: number;
}

/** Starts sampling every `intervalMs`; `stop()` returns the peaks. */
export function sampleMemory(intervalMs = 40): { stop: () => MemoryPeaks } {
  gc();
  const base = process.memoryUsage();
  let retained = 0;
  let rss = 0;
  const sample = (): void => {
    rss = Math.max(rss, process.memoryUsage.rss() - base.rss);
    gc();
    retained = Math.max(retained, process.memoryUsage().arrayBuffers - base.arrayBuffers);
  };
  const timer = setInterval(sample, intervalMs);
  return {
    stop: () => {
      clearInterval(timer);
      sample();
      return { retainedArrayBuffers: retained, rss };
    },
  };
}
