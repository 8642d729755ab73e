/** Shared by the discovery tests: waiting, and traffic kept flowing while backends change. */
import { expect } from 'vitest';
import { sleep } from './helpers.js';

export async function waitFor(predicate: () => boolean, ms = 15_000): Promise<void> {
  const end = Date.now() + ms;
  while (!predicate()) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await sleep(20);
  }
}

/**
 * Runs `change` while `concurrency` clients request `url` back to back; every response must
 * be a 200 (a change never fails a request). Returns the bodies seen, in order.
 */
export async function underLoad(
  url: string,
  change: () => Promise<void>,
  concurrency = 4,
): Promise<string[]> {
  let isDone = false;
  const bodies: string[] = [];
  const failures: string[] = [];
  const client = async (): Promise<void> => {
    while (!isDone) {
      const res = await fetch(url);
      const text = await res.text();
      if (res.status === 200) bodies.push(text);
      else failures.push(`${res.status} ${text}`);
    }
  };
  const clients = Array.from({ length: concurrency }, client);
  try {
    await change();
  } finally {
    isDone = true;
    await Promise.all(clients);
  }
  expect(failures).toEqual([]);
  return bodies;
}
