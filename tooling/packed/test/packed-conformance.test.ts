/**
 * CONVENTIONS #22 (issue #11): the HTTP/1.1 smuggling table, the HTTP/2 frame and limit rules
 * and the static-file suites run once more against the packages as `pnpm pack` ships them,
 * installed in a temp project outside the workspace, so what is published and benchmarked is
 * what was tested (a file missing from `files`, a broken `exports` entry or a `dist/` that
 * differs from `src/` fails here).
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { withBuildLock } from '@rws/test-helpers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  buildPackages,
  copySuites,
  type FileResult,
  installPacked,
  linkFrom,
  packPackages,
  REPO_ROOT,
  runSuites,
} from '../src/packed-project.js';
import { PACKED_PACKAGES, PACKED_SUITES } from '../src/suites.js';

const project = mkdtempSync(join(tmpdir(), 'rws-packed-'));
let tests = new Map<string, string>();
let results = new Map<string, FileResult>();

beforeAll(async () => {
  // Built and packed under the lock: a parallel build (apps/rws-cli's built.test.ts) would
  // clear a dist/ while it is packed.
  const tarballs = await withBuildLock(async () => {
    await buildPackages(PACKED_PACKAGES);
    return packPackages(PACKED_PACKAGES, join(project, 'tarballs'));
  });
  await installPacked(tarballs, PACKED_PACKAGES, project);
  // The runner and the never-published test helpers come from the workspace.
  const modules = join(project, 'node_modules');
  linkFrom(join(REPO_ROOT, 'tooling/packed'), 'vitest', modules);
  linkFrom(join(REPO_ROOT, 'packages/http1'), '@rws/test-helpers', modules);
  tests = copySuites(PACKED_SUITES, project);
  results = await runSuites(project);
}, 180_000);

afterAll(() => rmSync(project, { recursive: true, force: true }));

describe('conformance suites against the packed packages (CONVENTIONS #22, issue #11)', () => {
  it('installs only what the tarballs hold: dist, no sources', () => {
    for (const dir of PACKED_PACKAGES) {
      const name = `@rws/${dir.split('/').pop()}`;
      const entries = readdirSync(join(project, 'node_modules', name)).sort();
      expect(entries, name).toContain('dist');
      expect(entries, name).not.toContain('src');
      expect(entries, name).not.toContain('test');
    }
  });

  it('copied every suite file', () => {
    expect(tests.size).toBe(PACKED_SUITES.reduce((n, s) => n + s.files.length, 0));
  });

  for (const suite of PACKED_SUITES) {
    for (const file of suite.files) {
      it(`${suite.dir}/${file} passes against the packed build`, () => {
        const copied = tests.get(`${suite.dir}/${file}`);
        expect(copied, 'copied').toBeDefined();
        const result = results.get(copied!);
        expect(result, `vitest reported ${copied}`).toBeDefined();
        expect(result!.failures).toEqual([]);
        expect(result!.status).toBe('passed');
        expect(result!.passed).toBeGreaterThan(0);
      });
    }
  }
});
