/**
 * What keeps the process alive while client exchanges run. Pool sockets are unref'd for their
 * whole life (an idle keep-alive socket must not hold the process); one ref'd timer shared by
 * every pool stands for all running exchanges instead. Referencing and unreferencing a socket
 * per request costs two native calls; the timer changes state only when the count of running
 * exchanges goes from 0 to 1 and back, which a loaded proxy rarely sees.
 */

/** Longest delay a Node timer takes; the interval never fires in practice. */
const NEVER_MS = 2 ** 31 - 1;

let running = 0;
let holder: NodeJS.Timeout | null = null;

function noop(): void {}

/** An exchange started: the process stays alive until the matching `releaseLoop`. */
export function holdLoop(): void {
  if (running++ !== 0) return;
  holder ??= setInterval(noop, NEVER_MS);
  holder.ref();
}

/** An exchange ended. */
export function releaseLoop(): void {
  if (--running === 0) holder!.unref();
}
