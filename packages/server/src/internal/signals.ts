/**
 * Process signal handling shared by a single server, a cluster worker and a cluster primary.
 *
 * - SIGTERM / SIGINT: the first one runs `shutdown` (drain), then the process exits 0 (1 when
 *   the drain failed). A second one exits at once with 128 + the signal number (130 for
 *   SIGINT, 143 for SIGTERM), as shells report a process killed by that signal.
 * - SIGHUP: runs `reload`; its errors go to `onError` and the process keeps running.
 */
import { constants } from 'node:os';

export interface SignalHooks {
  /** Drains; `signal` is what asked for it (for the "received SIGTERM" line). */
  shutdown(signal: 'SIGINT' | 'SIGTERM'): Promise<void>;
  reload(): Promise<void>;
  onError(err: unknown): void;
  /** Ignore SIGHUP instead of reloading (cluster workers: the primary sends reloads). */
  ignoreHangup?: boolean;
}

/** Exit code after a second shutdown signal: 128 + signo. */
function forcedExitCode(signal: 'SIGINT' | 'SIGTERM'): number {
  return 128 + constants.signals[signal];
}

/** Installs the handlers; returns a function removing them. */
export function installSignalHandlers(hooks: SignalHooks): () => void {
  let isShuttingDown = false;
  const onStop = (signal: 'SIGINT' | 'SIGTERM'): void => {
    if (isShuttingDown) {
      process.exit(forcedExitCode(signal));
    }
    isShuttingDown = true;
    hooks.shutdown(signal).then(
      () => process.exit(0),
      (err: unknown) => {
        hooks.onError(err);
        process.exit(1);
      },
    );
  };
  const onTerm = (): void => onStop('SIGTERM');
  const onInt = (): void => onStop('SIGINT');
  const onHup = (): void => {
    if (hooks.ignoreHangup === true) return;
    hooks.reload().catch((err: unknown) => hooks.onError(err));
  };
  process.on('SIGTERM', onTerm);
  process.on('SIGINT', onInt);
  // SIGHUP does not exist on Windows; node accepts the listener but it never fires there.
  process.on('SIGHUP', onHup);
  return () => {
    process.removeListener('SIGTERM', onTerm);
    process.removeListener('SIGINT', onInt);
    process.removeListener('SIGHUP', onHup);
  };
}
