/**
 * Preloaded into a profiled server (`node --import …/profile-hook.ts`): SIGUSR2 starts a CPU
 * profile (PROFILE_MODE=cpu), an allocation-sampling profile (PROFILE_MODE=alloc, counting
 * objects a GC already collected too) or an event-loop delay histogram (PROFILE_MODE=eld,
 * `perf_hooks.monitorEventLoopDelay` at 1 ms resolution), the next SIGUSR2 stops it and writes
 * the raw profile (or the histogram's percentiles) as JSON to PROFILE_OUT. The driver (`profile.ts`) sends the signals around a fixed load, so only
 * the measured requests are in the profile.
 */
import { renameSync, writeFileSync } from 'node:fs';
import { Session } from 'node:inspector/promises';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const mode = process.env['PROFILE_MODE'];
const out = process.env['PROFILE_OUT'];
if (mode === 'eld' && out !== undefined) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  let isMonitoring = false;
  process.on('SIGUSR2', () => {
    if (!isMonitoring) {
      isMonitoring = true;
      histogram.enable();
      writeFileSync(`${out}.ready`, 'started');
      return;
    }
    histogram.disable();
    // Nanoseconds, as the histogram records them.
    const percentiles = Object.fromEntries(
      [50, 90, 99, 99.9, 100].map((p) => [p, histogram.percentile(p)]),
    );
    writeFileSync(
      `${out}.part`,
      JSON.stringify({ count: histogram.count, mean: histogram.mean, percentiles }),
    );
    renameSync(`${out}.part`, out);
  });
}
if ((mode === 'cpu' || mode === 'alloc') && out !== undefined) {
  const session = new Session();
  session.connect();
  let isRunning = false;
  process.on('SIGUSR2', () => {
    const toggle = async (): Promise<void> => {
      if (!isRunning) {
        isRunning = true;
        if (mode === 'cpu') {
          await session.post('Profiler.enable');
          await session.post('Profiler.setSamplingInterval', { interval: 100 });
          await session.post('Profiler.start');
        } else {
          await session.post('HeapProfiler.enable');
          await session.post('HeapProfiler.startSampling', {
            samplingInterval: 256,
            includeObjectsCollectedByMajorGC: true,
            includeObjectsCollectedByMinorGC: true,
          });
        }
        writeFileSync(`${out}.ready`, 'started');
        return;
      }
      isRunning = false;
      const result =
        mode === 'cpu'
          ? await session.post('Profiler.stop')
          : await session.post('HeapProfiler.stopSampling');
      // Written aside and renamed: the driver reads the file as soon as it exists.
      writeFileSync(`${out}.part`, JSON.stringify(result));
      renameSync(`${out}.part`, out);
    };
    void toggle();
  });
}
