/**
 * What runs against the packed tarballs: the conformance suites whose subject is a published
 * package's public entry. Files import the package under test as `../src/index.js` (rewritten
 * to the package name) or by its name; a suite file that reaches into `../src/internal/…`
 * tests internals and stays source-only.
 */
export interface PackedSuite {
  /** Workspace directory of the package under test, relative to the repository root. */
  readonly dir: string;
  /** Test files of that package, relative to `dir`; helpers they import are copied along. */
  readonly files: readonly string[];
}

/** Packages packed and installed for the run: the suites' subjects and what they depend on. */
export const PACKED_PACKAGES: readonly string[] = [
  'packages/core',
  'packages/http1',
  'packages/h2',
  'packages/middleware',
];

/** RFC 9112 request smuggling table, RFC 9113 frame rules and limits, the static handler. */
export const PACKED_SUITES: readonly PackedSuite[] = [
  {
    dir: 'packages/http1',
    files: ['test/smuggling-table.test.ts', 'test/field-blocks.test.ts'],
  },
  { dir: 'packages/h2', files: ['test/limits.test.ts', 'test/frames.test.ts'] },
  {
    dir: 'packages/middleware',
    files: [
      'test/static.test.ts',
      'test/static-security.test.ts',
      'test/static-dot-segments.test.ts',
    ],
  },
];
