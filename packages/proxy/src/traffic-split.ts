/**
 * Canary releases and traffic splits: requests are shared between upstreams by weight (smooth
 * weighted round robin, so 95/5 sends exactly 5 of every 100), and the weights can change
 * while traffic flows.
 */
import type { Request } from '@rws/core';
import { invalidOption } from './internal/proxy-error.js';
import type { Backend, BackendPicker } from './upstream.js';

/** One side of a split. */
export interface SplitEntry {
  /** An upstream (or another split). */
  upstream: BackendPicker & { readonly name?: string };
  /** Relative share; 0 takes it out of rotation. */
  weight: number;
}

/** Options of `createTrafficSplit`. */
export interface TrafficSplitOptions {
  name: string;
  splits: readonly SplitEntry[];
}

/** A `BackendPicker` over several upstreams by weight. */
export interface TrafficSplit extends BackendPicker {
  readonly name: string;
  /** The current weights, by upstream name (or index). */
  readonly weights: ReadonlyArray<{ readonly name: string; readonly weight: number }>;
  /** Replaces the splits (for example moving a canary from 5 to 50). Applies to the next pick. */
  update(splits: readonly SplitEntry[]): void;
}

interface State {
  entry: SplitEntry;
  current: number;
}

function validate(splits: readonly SplitEntry[]): State[] {
  if (!Array.isArray(splits) || splits.length === 0) {
    throw invalidOption('splits', splits, 'a non-empty array of { upstream, weight }');
  }
  let total = 0;
  const states = splits.map((entry, i) => {
    if (typeof entry?.upstream?.pick !== 'function') {
      throw invalidOption(`splits[${i}].upstream`, entry?.upstream, 'an upstream');
    }
    if (!(typeof entry.weight === 'number' && entry.weight >= 0 && Number.isFinite(entry.weight))) {
      throw invalidOption(`splits[${i}].weight`, entry.weight, 'a number >= 0');
    }
    total += entry.weight;
    return { entry, current: 0 };
  });
  if (total === 0)
    throw invalidOption(
      'splits',
      splits.map((s) => s.weight),
      'at least one weight > 0',
    );
  return states;
}

/**
 * Creates a traffic split. When the chosen upstream has no available backend, the others are
 * tried in weight order.
 *
 * @example
 * ```ts
 * import { createTrafficSplit, createUpstream, reverseProxy } from '@rws/proxy';
 * const stable = createUpstream({ name: 'stable', backends: ['http://127.0.0.1:3001'] });
 * const canary = createUpstream({ name: 'canary', backends: ['http://127.0.0.1:3002'] });
 * const split = createTrafficSplit({ name: 'api', splits: [{ upstream: stable, weight: 95 }, { upstream: canary, weight: 5 }] });
 * const proxy = reverseProxy({ upstream: split });
 * ```
 */
export function createTrafficSplit(options: TrafficSplitOptions): TrafficSplit {
  if (typeof options?.name !== 'string' || options.name === '') {
    throw invalidOption('name', options?.name, 'a non-empty string');
  }
  let states = validate(options.splits);
  return {
    name: options.name,
    get weights() {
      return states.map((s, i) => ({
        name: s.entry.upstream.name ?? String(i),
        weight: s.entry.weight,
      }));
    },
    update(splits) {
      states = validate(splits);
    },
    pick(req: Request, exclude?: ReadonlySet<string>): Backend | null {
      // Smooth weighted round robin over the upstreams (as nginx does over backends).
      let total = 0;
      let best: State | null = null;
      for (const s of states) {
        if (s.entry.weight === 0) continue;
        s.current += s.entry.weight;
        total += s.entry.weight;
        if (best === null || s.current > best.current) best = s;
      }
      best!.current -= total;
      const chosen = best!.entry.upstream.pick(req, exclude);
      if (chosen !== null) return chosen;
      const rest = states
        .filter((s) => s !== best && s.entry.weight > 0)
        .sort((a, b) => b.entry.weight - a.entry.weight);
      for (const s of rest) {
        const b = s.entry.upstream.pick(req, exclude);
        if (b !== null) return b;
      }
      return null;
    },
  };
}
