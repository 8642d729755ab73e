/**
 * A vitest setup file (vitest.config.ts `setupFiles`): `vi.waitFor` without a timeout waits
 * 10 s instead of vitest's 1 s.
 *
 * A wait is for something that must happen; its timeout only says how long to look before
 * calling it a failure. One second is less than a loaded 2-core CI machine sometimes takes to
 * close a socket or deliver a frame, and a condition that never holds still fails (after 10 s,
 * within the 20 s test timeout). `expect.poll` gets the same through the config's `expect.poll`.
 */

import { vi } from 'vitest';

const DEFAULT_TIMEOUT_MS = 10_000;
const waitFor = vi.waitFor.bind(vi);

vi.waitFor = ((callback, options) =>
  waitFor(
    callback,
    typeof options === 'number' ? options : { timeout: DEFAULT_TIMEOUT_MS, ...options },
  )) as typeof vi.waitFor;
