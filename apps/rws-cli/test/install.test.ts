/**
 * Issue #8: `pnpm install` on a fresh clone (Node 20 bootstrapping the pinned Node 24) prints
 * no warnings. The two causes, each pinned by a test here: a `bin` that only exists after the
 * build ("Failed to create bin"), and engines checked against the bootstrapping Node
 * ("Unsupported engine").
 */
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import pkg from '../package.json' with { type: 'json' };
import { REPO_ROOT } from './cli-process.js';

describe('a clean install prints no warnings (issue #8)', () => {
  it('every bin of @rws/cli is a file of the source tree, not a build output', () => {
    for (const [name, target] of Object.entries(pkg.bin)) {
      expect(target, name).not.toMatch(/^\.\/dist\//);
      expect(existsSync(join(REPO_ROOT, 'apps/rws-cli', target)), target).toBe(true);
      expect(pkg.files).toContain(target.split('/')[1]);
    }
  });

  it('pnpm checks engines against the pinned Node, which meets every engines range', () => {
    const root = JSON.parse(readFileSync(join(REPO_ROOT, 'package.json'), 'utf8')) as {
      devDependencies: Record<string, string>;
    };
    const workspace = readFileSync(join(REPO_ROOT, 'pnpm-workspace.yaml'), 'utf8');
    const line = workspace.split('\n').find((l) => l.startsWith('nodeVersion:'));
    expect(line, 'pnpm-workspace.yaml sets nodeVersion').toBeDefined();
    const pinned = line!.slice('nodeVersion:'.length).trim();
    expect(pinned).toBe(root.devDependencies['node']);
    // engines.node is ">=22.12" everywhere (CONVENTIONS §25).
    const [major = 0, minor = 0] = pinned.split('.').map(Number);
    expect(major > 22 || (major === 22 && minor >= 12)).toBe(true);
  });
});
