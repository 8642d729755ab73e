/**
 * The official MCP conformance suite (`@modelcontextprotocol/conformance`, every server
 * scenario: `--suite all`) against examples/mcp-everything.ts, started as its own process the
 * way a user runs it. Every check must pass, with no warnings.
 */
import { type ChildProcess, execFile, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, expect, it } from 'vitest';

const ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const CLI = join(
  dirname(createRequire(import.meta.url).resolve('@modelcontextprotocol/conformance/package.json')),
  'dist/index.js',
);

let child: ChildProcess;
let url: string;
let out: string;

beforeAll(async () => {
  child = spawn(
    process.execPath,
    ['--import', 'tsx', '--conditions=@rws/source', 'examples/mcp-everything.ts'],
    { cwd: ROOT, env: { ...process.env, PORT: '0' }, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let printed = '';
  child.stdout?.setEncoding('utf8');
  url = await new Promise<string>((resolve, reject) => {
    child.stdout?.on('data', (chunk: string) => {
      printed += chunk;
      const m = /listening on (http:\/\/\S+)/.exec(printed);
      if (m) resolve((m[1] as string).replace('127.0.0.1', 'localhost'));
    });
    child.once('exit', (code) => reject(new Error(`mcp-everything exited (${code}): ${printed}`)));
  });
  out = await mkdtemp(join(tmpdir(), 'rws-mcp-conformance-'));
}, 60_000);

afterAll(async () => {
  if (child.exitCode === null) {
    child.kill();
    await once(child, 'exit');
  }
  await rm(out, { recursive: true, force: true });
});

interface Check {
  id: string;
  status: string;
  errorMessage?: string;
}

it('passes every server scenario of the conformance suite without warnings', async () => {
  const run = await new Promise<{ code: number; stdout: string }>((resolve) => {
    execFile(
      process.execPath,
      [CLI, 'server', '--suite', 'all', '--url', url, '-o', out],
      { timeout: 120_000, maxBuffer: 16 * 1024 * 1024 },
      (err, stdout) => resolve({ code: err ? Number(err.code ?? 1) : 0, stdout }),
    );
  });
  const scenarios = await readdir(out);
  const bad: string[] = [];
  const passed = new Set<string>();
  for (const dir of scenarios) {
    const checks = JSON.parse(await readFile(join(out, dir, 'checks.json'), 'utf8')) as Check[];
    for (const c of checks) {
      if (c.status === 'SUCCESS') passed.add(c.id);
      if (c.status === 'FAILURE' || c.status === 'WARNING') {
        bad.push(`${dir}: ${c.id} ${c.status} ${c.errorMessage ?? ''}`);
      }
    }
  }
  expect(bad).toEqual([]);
  // SEP-1699 polling really ran: priming event, retry field, resumption after the close.
  for (const id of [
    'server-sse-priming-event',
    'server-sse-retry-field',
    'server-sse-disconnect-resume',
  ]) {
    expect(passed).toContain(id);
  }
  // Every scenario of the suite ran (30 and more at the pinned version).
  expect(scenarios.length).toBeGreaterThanOrEqual(30);
  expect(run.stdout).toMatch(/Total: \d+ passed, 0 failed/);
  expect(run.code).toBe(0);
}, 180_000);
