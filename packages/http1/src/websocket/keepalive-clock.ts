/**
 * Keepalive for many WebSockets on one timer per interval (issue #14): a socket joins a set of
 * its interval's clock instead of holding a `Timeout` of its own (about 120 bytes each), and
 * leaves it when it finishes. The clock spreads its members over `SLOTS` sets and ticks one
 * set every `intervalMs / SLOTS`, so each member is ticked once per interval and ten thousand
 * sockets are not all pinged in the same event-loop turn. The caller decides what a tick
 * means (the WebSocket skips its first, so a Ping comes 1-2 intervals in).
 */
const SLOTS = 8;

interface Clock<T> {
  readonly slots: Set<T>[];
  /** The slot the next member joins (round robin). */
  next: number;
}

const clocks = new Map<number, Clock<unknown>>();

/**
 * A set ticked every `intervalMs` (the caller adds its member and deletes it when done); the
 * clock's unref'd timer starts with its first member and stops once all its sets are empty.
 */
export function keepaliveClock<T>(intervalMs: number, tick: (member: T) => void): Set<T> {
  let clock = clocks.get(intervalMs) as Clock<T> | undefined;
  if (clock === undefined) clock = startClock(intervalMs, tick);
  const slot = clock.slots[clock.next] as Set<T>;
  clock.next = (clock.next + 1) % SLOTS;
  return slot;
}

function startClock<T>(intervalMs: number, tick: (member: T) => void): Clock<T> {
  const clock: Clock<T> = { slots: Array.from({ length: SLOTS }, () => new Set<T>()), next: 0 };
  clocks.set(intervalMs, clock as Clock<unknown>);
  let current = 0;
  const timer = setInterval(
    () => {
      if (clock.slots.every((s) => s.size === 0)) {
        clearInterval(timer);
        clocks.delete(intervalMs);
        return;
      }
      const slot = clock.slots[current] as Set<T>;
      current = (current + 1) % SLOTS;
      for (const member of slot) tick(member);
    },
    Math.max(1, Math.floor(intervalMs / SLOTS)),
  );
  timer.unref();
  return clock;
}
