/**
 * The controller of a running job's signal, which also tells the worker at once when it aborts.
 * The worker stops waiting for the handler then; a promise per job raced against the handler,
 * settled by a listener on the signal, was about 2 KiB allocated per job (issue #16).
 */
export class JobAbortController extends AbortController {
  onAbort: ((reason: unknown) => void) | undefined;
  override abort(reason?: unknown): void {
    super.abort(reason);
    this.onAbort?.(this.signal.reason);
  }
}
