import { readdir, readFile } from 'node:fs/promises';
import { expect } from 'vitest';
import { errorsDocEntries } from './errors-doc.js';

/**
 * Asserts that docs/errors.md lists exactly `packageName`'s codes, each with the meaning its
 * `ERROR_DESCRIPTIONS` gives (the code list and the docs table match, CONVENTIONS 14).
 */
export function expectErrorsDocInSync(
  packageName: string,
  descriptions: Readonly<Record<string, string>>,
): void {
  expect(errorsDocEntries(packageName)).toEqual(descriptions);
}

/**
 * Asserts that `ERROR_CODES` and `ERROR_DESCRIPTIONS` name the same codes and that each code is
 * `<prefix><KEY>` (e.g. prefix `RWS_CORE_`).
 */
export function expectErrorCodesDeclared(
  codes: Readonly<Record<string, string>>,
  descriptions: Readonly<Record<string, string>>,
  prefix: string,
): void {
  expect(Object.values(codes).sort()).toEqual(Object.keys(descriptions).sort());
  for (const [key, code] of Object.entries(codes)) expect(code).toBe(`${prefix}${key}`);
}

/**
 * The text of every `.ts` file under `srcDir` (recursively), concatenated, skipping the
 * entries `exclude` accepts (paths relative to `srcDir`), to check which codes the code uses.
 */
export async function readSourceText(
  srcDir: URL,
  exclude: (entry: string) => boolean,
): Promise<string> {
  let all = '';
  for (const entry of await readdir(srcDir, { recursive: true })) {
    if (!entry.endsWith('.ts') || exclude(entry)) continue;
    all += await readFile(new URL(entry, srcDir), 'utf8');
  }
  return all;
}
