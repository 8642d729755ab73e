/** Weighted choices among an upstream's usable backends (`random`, `weighted_round_robin`). */
import type { BackendState } from './backend-state.js';

/** A backend chosen at random, in proportion to its weight. */
export function weightedRandom(list: readonly BackendState[]): BackendState {
  let total = 0;
  for (const b of list) total += b.weight;
  let r = Math.random() * total;
  for (const b of list) {
    r -= b.weight;
    if (r < 0) return b;
  }
  return list[list.length - 1]!;
}

/**
 * nginx's smooth weighted round robin: every pick adds each weight to its current value, takes
 * the largest and subtracts the total from it. Weights 5,1,1 give a a b a c a a, not a a a a a b c.
 */
export function smoothWeighted(list: readonly BackendState[]): BackendState {
  let total = 0;
  let best: BackendState | null = null;
  for (const b of list) {
    b.currentWeight += b.weight;
    total += b.weight;
    if (best === null || b.currentWeight > best.currentWeight) best = b;
  }
  best!.currentWeight -= total;
  return best!;
}
