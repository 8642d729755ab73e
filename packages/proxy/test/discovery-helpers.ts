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
 * Runs `change` while `concurrency` clients request `target` (a URL or a request function) back to back; every response must
 * be a 200 (a change never fails a request). Returns the bodies seen, in order.
 */
export async function underLoad(
  target: string | (() => Promise<{ status: number; body: string }>),
  change: () => Promise<void>,
  concurrency = 4,
): Promise<string[]> {
  let isDone = false;
  const bodies: string[] = [];
  const failures: string[] = [];
  const client = async (): Promise<void> => {
    while (!isDone) {
      const { status, body } =
        typeof target === 'string'
          ? await fetch(target).then(async (r) => ({ status: r.status, body: await r.text() }))
          : await target();
      if (status === 200) bodies.push(body);
      else failures.push(`${status} ${body}`);
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
