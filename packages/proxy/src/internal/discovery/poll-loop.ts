/**
 * Runs `poll` back to back until stopped (Consul blocking queries, where each call itself
 * waits for a change); a failure is reported and retried after a back-off that doubles up to
 * `maxMs`, and the first success after it calls `onRecover` (changes may have been missed).
 */
export function pollLoop(
  poll: (signal: AbortSignal) => Promise<void>,
  onError: (error: Error) => void,
  onRecover: () => void,
  options: { minMs?: number | undefined; maxMs?: number | undefined } = {},
): () => void {
  const controller = new AbortController();
  const minMs = options.minMs ?? 500;
  const maxMs = options.maxMs ?? 30_000;
  void (async () => {
    let delay = 0;
    while (!controller.signal.aborted) {
      try {
        await poll(controller.signal);
        if (delay !== 0) onRecover();
        delay = 0;
        continue;
      } catch (err) {
        if (controller.signal.aborted) return;
        onError(err instanceof Error ? err : new Error(String(err)));
        delay = delay === 0 ? minMs : Math.min(delay * 2, maxMs);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, delay);
        t.unref();
        controller.signal.addEventListener('abort', () => resolve(), { once: true });
      });
    }
  })();
  return () => controller.abort();
}
