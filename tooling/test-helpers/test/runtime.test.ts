import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';

// The workspace pins Node 24 through the `node` devDependency: every pnpm script, and so every
// test, must run on it, and native modules must load against it.
describe('runtime pin', () => {
  it('runs tests on Node 24', () => {
    expect(process.versions.node.split('.')[0]).toBe('24');
  });

  it('loads better-sqlite3 against this runtime', () => {
    const require = createRequire(import.meta.url);
    const Database = require('better-sqlite3') as new (
      path: string,
    ) => { prepare(sql: string): { get(): unknown }; close(): void };
    const db = new Database(':memory:');
    expect(db.prepare('select 40 + 2 as answer').get()).toEqual({ answer: 42 });
    db.close();
  });
});
