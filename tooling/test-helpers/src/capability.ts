import type { TestContext } from 'vitest';

/**
 * Gates a test on a capability of the machine (a runtime feature, an installed tool). When it
 * is present, returns and the test runs. When it is missing, the test fails under `CI=true` (CI
 * must have every capability, so a missing one is a failure, not a silent pass) and is
 * otherwise marked skipped with the reason, so it shows as skipped rather than passing.
 *
 * @example
 * ```ts
 * it('zstd', (ctx) => {
 *   requireCapability(ctx, HAS_ZSTD, 'zstd in node:zlib (Node >= 22.15)');
 *   // …
 * });
 * ```
 */
export function requireCapability(ctx: TestContext, isAvailable: boolean, what: string): void {
  if (isAvailable) return;
  if (process.env['CI'] === 'true') throw new Error(`CI=true requires ${what}, which is missing`);
  ctx.skip(`missing ${what}`);
}
