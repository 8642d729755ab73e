/**
 * The ISO time of a JSON line (`2026-11-21T23:40:00.123Z`), the part up to the seconds built
 * once per second: a `Date` and `toISOString()` per line cost more than the rest of the line.
 */

const isoCache = { sec: Number.NaN, prefix: '' };

/** `2026-11-21T23:40:00.` of the (finite) second `sec` since the epoch: the text before the milliseconds. */
function isoSecondPrefix(sec: number): string {
  if (isoCache.sec !== sec) {
    // The text before the key: a second `toISOString` rejects (past year 275760) throws on
    // every line, not only the first, which would leave the next line an empty time.
    isoCache.prefix = new Date(sec * 1000).toISOString().slice(0, -4);
    isoCache.sec = sec;
  }
  return isoCache.prefix;
}

/** `Date.prototype.toISOString()` of `ms`, with the part up to the seconds cached. */
export function isoTime(ms: number): string {
  const sec = Math.floor(ms / 1000);
  if (!Number.isFinite(sec)) return new Date(ms).toISOString();
  return `${isoSecondPrefix(sec)}${MILLIS_Z[Math.floor(ms - sec * 1000)]}`;
}

/** `000Z` … `999Z`: the end of an ISO time is one concatenation, not three and a number. */
const MILLIS_Z: readonly string[] = Array.from(
  { length: 1000 },
  (_, milli) => `${String(milli).padStart(3, '0')}Z`,
);
