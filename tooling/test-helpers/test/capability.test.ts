import { afterEach, describe, expect, it, type TestContext } from 'vitest';
import { requireCapability } from '../src/index.js';

const savedCi = process.env['CI'];
afterEach(() => {
  if (savedCi === undefined) delete process.env['CI'];
  else process.env['CI'] = savedCi;
});

describe('requireCapability (issue #9: no silent skips)', () => {
  it('returns when the capability is there', (ctx) => {
    process.env['CI'] = 'true';
    expect(requireCapability(ctx, true, 'a thing')).toBeUndefined();
  });

  it('fails under CI=true when the capability is missing', (ctx) => {
    process.env['CI'] = 'true';
    expect(() => requireCapability(ctx, false, 'zstd')).toThrow('CI=true requires zstd');
  });

  it('skips with the reason outside CI', () => {
    delete process.env['CI'];
    const notes: unknown[] = [];
    // A stand-in context records what the test would be skipped with.
    const ctx = {
      skip: (note?: string) => {
        notes.push(note);
        throw new Error('skipped');
      },
    } as unknown as TestContext;
    expect(() => requireCapability(ctx, false, 'zstd')).toThrow('skipped');
    expect(notes).toEqual(['missing zstd']);
  });
});
