/**
 * A throwaway project with the workspace packages installed from their `pnpm pack` tarballs,
 * as a user's `npm install` would lay them out (CONVENTIONS #22, after kysely): only what the
 * tarball holds (`files: ["dist"]`), resolved through `exports` without the `@rws/source`
 * condition, with dependency specifiers as pnpm rewrote them. Third-party dependencies are
 * linked from the workspace's pnpm store, so the install needs no network.
 */
import { execFile, spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  realpathSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import type { PackedSuite } from './suites.js';

const run = promisify(execFile);

/** The repository root (this file is tooling/packed/src/packed-project.ts). */
export const REPO_ROOT: string = fileURLToPath(new URL('../../../', import.meta.url));

interface PackageJson {
  name: string;
  version: string;
  dependencies?: Record<string, string>;
}

function readJson(file: string): PackageJson {
  return JSON.parse(readFileSync(file, 'utf8')) as PackageJson;
}

/**
 * The pnpm to run: the one on PATH (`pnpm test` run through `npx pnpm@…` puts it there), else
 * the version the root package.json pins, through npx.
 */
function pnpmCommand(): [string, string[]] {
  if (spawnSync('pnpm', ['--version'], { stdio: 'ignore' }).status === 0) return ['pnpm', []];
  const pinned = readJson(join(REPO_ROOT, 'package.json')) as PackageJson & {
    packageManager?: string;
  };
  return ['npx', ['-y', pinned.packageManager ?? 'pnpm']];
}

async function pnpm(args: string[], cwd: string): Promise<string> {
  const [command, prefix] = pnpmCommand();
  const { stdout } = await run(command, [...prefix, ...args], {
    cwd,
    maxBuffer: 16 * 1024 * 1024,
  });
  return stdout;
}

/**
 * Builds `dirs` with turbo (`--only`: their workspace dependencies are among `dirs` or already
 * built), invoked as apps/rws-cli's built.test.ts does. turbo's cache makes this a no-op when
 * `dist/` is current, and `pnpm check:packages` later in CI reuses what it built here. Hold
 * `withBuildLock()` around it and the packing.
 */
export async function buildPackages(dirs: readonly string[]): Promise<void> {
  const filters = dirs.map((dir) => `--filter=./${dir}`);
  await run(
    process.execPath,
    [
      join(REPO_ROOT, 'node_modules/turbo/bin/turbo'),
      'run',
      'build',
      '--only',
      '--output-logs=errors-only',
      ...filters,
    ],
    {
      cwd: REPO_ROOT,
      maxBuffer: 16 * 1024 * 1024,
      env: { ...process.env, TURBO_TELEMETRY_DISABLED: '1', DO_NOT_TRACK: '1' },
    },
  );
}

/** `pnpm pack`s each of `dirs` into `into`; returns the tarball path per package name. */
export async function packPackages(
  dirs: readonly string[],
  into: string,
): Promise<Map<string, string>> {
  const tarballs = new Map<string, string>();
  await Promise.all(
    dirs.map(async (dir) => {
      const { name } = readJson(join(REPO_ROOT, dir, 'package.json'));
      const out = join(into, name.replace('/', '+'));
      mkdirSync(out, { recursive: true });
      await pnpm(['pack', '--pack-destination', out], join(REPO_ROOT, dir));
      const [file] = readdirSync(out).filter((f) => f.endsWith('.tgz'));
      if (file === undefined) throw new Error(`pnpm pack wrote no tarball for ${name} in ${out}`);
      tarballs.set(name, join(out, file));
    }),
  );
  return tarballs;
}

/**
 * Unpacks every tarball into `project/node_modules/<name>` and links the third-party
 * dependencies they declare from the workspace (the same versions the lockfile resolved).
 * Fails when a packed manifest still holds a `workspace:`/`catalog:` specifier or names an
 * `@rws/*` package at a version other than the one packed beside it.
 */
export async function installPacked(
  tarballs: ReadonlyMap<string, string>,
  dirs: readonly string[],
  project: string,
): Promise<void> {
  const modules = join(project, 'node_modules');
  await Promise.all(
    [...tarballs].map(async ([name, tarball]) => {
      const to = join(modules, name);
      mkdirSync(to, { recursive: true });
      await run('tar', ['-xzf', tarball, '-C', to, '--strip-components=1']);
    }),
  );
  const versions = new Map(
    [...tarballs.keys()].map((n) => [n, readJson(join(modules, n, 'package.json')).version]),
  );
  for (const dir of dirs) {
    const manifest = readJson(join(REPO_ROOT, dir, 'package.json'));
    const packed = readJson(join(modules, manifest.name, 'package.json'));
    for (const [dep, spec] of Object.entries(packed.dependencies ?? {})) {
      if (/^(workspace|catalog):/.test(spec)) {
        throw new Error(`${manifest.name}'s packed package.json keeps "${dep}": "${spec}"`);
      }
      if (versions.has(dep)) {
        if (versions.get(dep) !== spec) {
          throw new Error(
            `${manifest.name} depends on ${dep}@${spec}, packed ${versions.get(dep)}`,
          );
        }
        continue;
      }
      if (dep.startsWith('@rws/')) {
        throw new Error(`${manifest.name} depends on ${dep}, which is not in PACKED_PACKAGES`);
      }
      linkFrom(join(REPO_ROOT, dir), dep, modules);
    }
  }
}

/** Links `name` into `modules` from where the workspace package at `from` resolves it. */
export function linkFrom(from: string, name: string, modules: string): void {
  const to = join(modules, name);
  if (existsSync(to)) return;
  const source = join(from, 'node_modules', name);
  if (!existsSync(source)) throw new Error(`${name} is not installed in ${from}; run pnpm install`);
  mkdirSync(dirname(to), { recursive: true });
  symlinkSync(realpathSync(source), to, 'dir');
}

/** `'../src/index.js'` and `"../src/…"` module specifiers in a test file. */
const SOURCE_IMPORT = /(['"])\.\.\/src\/([^'"]+)\1/g;
/** Relative imports of sibling helpers: `'./helpers.js'`. */
const LOCAL_IMPORT = /from (['"])\.\/([^'"]+)\.js\1/g;

/**
 * Copies each suite's files, and the helpers they import, into `project/suites/<package>/`,
 * with `../src/index.js` rewritten to the package's name (so the test imports the tarball's
 * `dist/`). A file importing any other `../src/` module is refused: it tests internals.
 * Returns where each suite file went, relative to `project`, keyed by `<dir>/<file>`.
 */
export function copySuites(suites: readonly PackedSuite[], project: string): Map<string, string> {
  const tests = new Map<string, string>();
  for (const suite of suites) {
    const { name } = readJson(join(REPO_ROOT, suite.dir, 'package.json'));
    const target = join(project, 'suites', name.replace('@rws/', ''));
    mkdirSync(target, { recursive: true });
    const pending = [...suite.files];
    const done = new Set<string>();
    while (pending.length > 0) {
      const file = pending.pop()!;
      if (done.has(file)) continue;
      done.add(file);
      const text = readFileSync(join(REPO_ROOT, suite.dir, file), 'utf8').replace(
        SOURCE_IMPORT,
        (_match, quote: string, path: string) => {
          if (path !== 'index.js') {
            throw new Error(
              `${suite.dir}/${file} imports ../src/${path}: only the public entry can run against the packed build`,
            );
          }
          return `${quote}${name}${quote}`;
        },
      );
      for (const m of text.matchAll(LOCAL_IMPORT)) pending.push(join(dirname(file), `${m[2]}.ts`));
      const to = join(target, relative('test', file));
      mkdirSync(dirname(to), { recursive: true });
      writeFileSync(to, text);
      if (suite.files.includes(file)) tests.set(`${suite.dir}/${file}`, relative(project, to));
    }
    const fixtures = join(REPO_ROOT, suite.dir, 'test', 'fixtures');
    if (existsSync(fixtures)) cpSync(fixtures, join(target, 'fixtures'), { recursive: true });
  }
  return tests;
}

/** One test file's outcome in vitest's JSON report. */
export interface FileResult {
  readonly status: string;
  readonly passed: number;
  readonly failures: readonly string[];
}

/**
 * Runs vitest in `project` (its own config: no `@rws/source` condition, no workspace aliases)
 * and returns each test file's result, keyed by its path relative to `project`.
 */
export async function runSuites(project: string): Promise<Map<string, FileResult>> {
  writeFileSync(
    join(project, 'vitest.config.mjs'),
    `export default {
  test: {
    include: ['suites/**/*.test.ts'],
    environment: 'node',
    pool: 'forks',
    testTimeout: 20000,
    hookTimeout: 30000,
  },
};
`,
  );
  const vitest = join(project, 'node_modules', 'vitest', 'vitest.mjs');
  const report = join(project, 'report.json');
  try {
    await run(process.execPath, [vitest, 'run', '--reporter=json', `--outputFile=${report}`], {
      cwd: project,
      maxBuffer: 64 * 1024 * 1024,
      env: { ...process.env, NODE_OPTIONS: '' },
    });
  } catch (err) {
    // A failing test exits 1 with the report written; anything else (no report) is the error.
    if (!existsSync(report)) throw err;
  }
  const json = JSON.parse(readFileSync(report, 'utf8')) as {
    testResults: {
      name: string;
      status: string;
      message?: string;
      assertionResults: { status: string; fullName: string; failureMessages: string[] }[];
    }[];
  };
  const results = new Map<string, FileResult>();
  for (const file of json.testResults) {
    results.set(relative(project, file.name), {
      status: file.status,
      passed: file.assertionResults.filter((a) => a.status === 'passed').length,
      failures: [
        ...(file.message ? [file.message] : []),
        ...file.assertionResults
          .filter((a) => a.status === 'failed')
          .map((a) => `${a.fullName}: ${a.failureMessages.join('\n')}`),
      ],
    });
  }
  return results;
}
