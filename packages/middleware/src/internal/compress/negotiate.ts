/** Content coding negotiation for `compress()` (RFC 9110 §12.5.3). */

/** A content coding `compress()` can produce. */
export type Coding = 'br' | 'gzip' | 'zstd';

/** What `Accept-Encoding` allows: the coding to use (null for none) and whether identity is refused. */
export interface Negotiated {
  coding: Coding | null;
  /** True when the client refused `identity` (`identity;q=0`, or `*;q=0` without `identity`). */
  isIdentityRefused: boolean;
}

/**
 * Picks the coding from `Accept-Encoding`: the highest q-value among `available`, ties broken
 * by the order of `available` (the server's preference). `*` stands for every coding not
 * named, `q=0` refuses one, `x-gzip` is `gzip` (§8.4.1.3). An absent header means identity:
 * any coding would be allowed, but unasked compression is a bad default for old clients.
 */
export function negotiate(header: string | null, available: readonly Coding[]): Negotiated {
  if (header === null) return { coding: null, isIdentityRefused: false };
  const weights = new Map<string, number>();
  for (const item of header.split(',')) {
    const semi = item.indexOf(';');
    const name = (semi === -1 ? item : item.slice(0, semi)).trim().toLowerCase();
    if (name.length === 0) continue;
    let weight = 1;
    if (semi !== -1) {
      for (const param of item.slice(semi + 1).split(';')) {
        const eq = param.indexOf('=');
        if (eq === -1 || param.slice(0, eq).trim().toLowerCase() !== 'q') continue;
        const value = Number(param.slice(eq + 1).trim());
        // An unparseable weight refuses rather than accepts: the safe reading.
        weight = Number.isFinite(value) && value >= 0 && value <= 1 ? value : 0;
      }
    }
    weights.set(name === 'x-gzip' ? 'gzip' : name, weight);
  }
  const star = weights.get('*');
  let coding: Coding | null = null;
  let best = 0;
  for (const candidate of available) {
    const weight = weights.get(candidate) ?? star ?? 0;
    if (weight > best) {
      coding = candidate;
      best = weight;
    }
  }
  const identity = weights.get('identity') ?? (star === 0 ? 0 : 1);
  return { coding, isIdentityRefused: identity === 0 };
}
