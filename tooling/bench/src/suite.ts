/** `defineSuite` — the one call a suite file makes. */
import type { Suite } from './types.js';

/** Checks a suite declaration (unique target names, subject exists) and returns it. */
export function defineSuite(suite: Suite): Suite {
  const names = new Set<string>();
  for (const t of suite.targets) {
    if (names.has(t.name)) throw new Error(`suite ${suite.name}: duplicate target ${t.name}`);
    names.add(t.name);
  }
  if (suite.subject !== undefined && !names.has(suite.subject)) {
    throw new Error(`suite ${suite.name}: subject ${suite.subject} is not a target`);
  }
  if (suite.cases.length === 0) throw new Error(`suite ${suite.name}: no cases`);
  return suite;
}
