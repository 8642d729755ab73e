/**
 * Keepalive for many WebSockets on one timer per interval (issue #14): a socket joins the set
 * of its interval instead of holding a `Timeout` of its own (about 120 bytes each), and
 * leaves it when it finishes. Each tick calls `tick` for every member; the caller decides
 * what a tick means (the WebSocket skips its first, so a Ping comes 1-2 intervals in).
 */
const clocks = new Map<number, Set<unknown>>();

/** The set ticked every `intervalMs`; its unref'd timer starts with it and stops once empty. */
export function keepaliveClock<T>(intervalMs: number, tick: (member: T) => void): Set<T> {
  const existing = clocks.get(intervalMs) as Set<T> | undefined;
  if (existing !== undefined) return existing;
  const members = new Set<T>();
  clocks.set(intervalMs, members as Set<unknown>);
  const timer = setInterval(() => {
    if (members.size === 0) {
      clearInterval(timer);
      clocks.delete(intervalMs);
      return;
    }
    for (const member of members) tick(member);
  }, intervalMs);
  timer.unref();
  return members;
}
