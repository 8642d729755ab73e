import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compose, Headers } from '@rws/core';
import { afterAll, beforeAll, describe, expect, it, onTestFinished, vi } from 'vitest';
// From the source: the package name resolves to the built dist in this folder.
import { accessLog, createLogSink, defineLogFields } from '../src/access-log/index.js';
import { httpCall, serveHandler } from './serve-helpers.js';

// Issue #11: the access log's buffered, asynchronous writer (sonic-boom style).

let dir: string;
let n = 0;
beforeAll(() => {
  dir = mkdtempSync(join(tmpdir(), 'rws-log-sink-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function logFile(): string {
  return join(dir, `access-${n++}.log`);
}

function read(path: string): string {
  try {
    return readFileSync(path, 'utf8');
  } catch {
    return '';
  }
}

describe('createLogSink', () => {
  it('lines of requests over a socket reach the file on the timer, without a flush call', async () => {
    const path = logFile();
    const sink = createLogSink({ destination: path, flushIntervalMs: 20 });
    onTestFinished(() => sink.close());
    const port = await serveHandler(
      compose([accessLog({ write: sink.write })], () => ({
        status: 200,
        headers: new Headers(),
        body: 'ok',
      })),
    );
    for (let i = 0; i < 3; i++) {
      const res = await httpCall(port, `/r${i}`);
      expect(res.status).toBe(200);
    }
    await vi.waitFor(() => expect(read(path).split('\n')).toHaveLength(4), { timeout: 10_000 });
    const lines = read(path)
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as { path: string; bytes: number });
    expect(lines.map((l) => l.path)).toEqual(['/r0', '/r1', '/r2']);
    expect(lines.every((l) => l.bytes === 2)).toBe(true);
  });

  it('issue #10: the file holds exactly the JSON lines accessLog gives as strings, UTF-8 encoded, non-ASCII and escapes included', async () => {
    const path = logFile();
    const sink = createLogSink({ destination: path, flushIntervalMs: 60_000 });
    onTestFinished(() => sink.close());
    const strings: string[] = [];
    const now = (): number => 1_764_000_000_123.5;
    const port = await serveHandler(
      compose(
        [
          // The same line twice: once through the sink (bytes when plain), once as a string.
          accessLog({ write: sink.write, now, fields: () => ({ upstream: 'api', n: 0.25 }) }),
          accessLog({
            write: (l) => strings.push(l),
            now,
            fields: () => ({ upstream: 'api', n: 0.25 }),
          }),
        ],
        () => ({ status: 200, headers: new Headers(), body: 'ok' }),
      ),
    );
    const agents = ['curl/8.5.0', 'caf\u00e9 \u00ff', 'a "quoted" \\ agent', 'plain'];
    for (const agent of agents) {
      const res = await httpCall(port, '/p?q=1', { headers: { 'user-agent': agent } });
      expect(res.status).toBe(200);
    }
    await sink.flush();
    expect(strings).toHaveLength(agents.length);
    expect(readFileSync(path)).toEqual(Buffer.from(`${strings.join('\n')}\n`, 'utf8'));
    const parsed = strings.map((l) => JSON.parse(l) as { user_agent: string; n: number });
    expect(parsed.map((l) => l.user_agent)).toEqual(agents);
    expect(parsed.every((l) => l.n === 0.25)).toBe(true);
  });

  it('issue #10: JSON lines encoded into the sink are the strings accessLog gives, declared fields included; a closed sink drops and counts them', async () => {
    const path = logFile();
    const sink = createLogSink({ destination: path, flushIntervalMs: 60_000 });
    const now = (): number => 1_764_000_000_123.5;
    let i = 0;
    const fields = defineLogFields(['upstream', 'attempts', 'proxy_error', 'status'], () => [
      i % 2 === 0 ? 'api' : 'caf\u00e9 "b"',
      i,
      i % 3 === 0 ? null : 'RWS_PROXY_X',
      'not replaced',
    ]);
    const strings: string[] = [];
    const port = await serveHandler(
      compose(
        [
          accessLog({ write: sink.write, now, fields }),
          accessLog({ write: (l) => strings.push(l), now, fields }),
        ],
        () => {
          i++;
          return { status: 200, headers: new Headers(), body: 'ok' };
        },
      ),
    );
    const agents = ['a\\b', '\u00ff\u00e9', 'x "y"', 'plain', 'plain'];
    for (const agent of agents) {
      const res = await httpCall(port, '/p?q="1"', { headers: { 'user-agent': agent } });
      expect(res.status).toBe(200);
    }
    await sink.close();
    expect(readFileSync(path)).toEqual(Buffer.from(`${strings.join('\n')}\n`, 'utf8'));
    expect(strings.map((l) => (JSON.parse(l) as { user_agent: string }).user_agent)).toEqual(
      agents,
    );
    await httpCall(port, '/after-close');
    expect(sink.droppedLines).toBe(1);
    expect(readFileSync(path)).toEqual(
      Buffer.from(`${strings.slice(0, agents.length).join('\n')}\n`),
    );
  });

  it('batches: nothing is written before the timer, flush() writes everything in order', async () => {
    const path = logFile();
    const sink = createLogSink({ destination: path, flushIntervalMs: 60_000 });
    onTestFinished(() => sink.close());
    for (let i = 0; i < 1000; i++) sink.write(`line ${i}`);
    // Under minWriteBytes and long before the timer: still in memory.
    expect(read(path)).toBe('');
    await sink.flush();
    const text = read(path);
    expect(text.split('\n')).toHaveLength(1001);
    expect(text.startsWith('line 0\nline 1\n')).toBe(true);
    expect(text.endsWith('line 999\n')).toBe(true);
  });

  it('a large batch is written without waiting for the timer', async () => {
    const path = logFile();
    const sink = createLogSink({ destination: path, flushIntervalMs: 60_000, minWriteBytes: 100 });
    onTestFinished(() => sink.close());
    for (let i = 0; i < 20; i++) sink.write(`0123456789 ${i}`);
    await vi.waitFor(() => expect(read(path).length).toBeGreaterThan(100), { timeout: 10_000 });
  });

  it('appends to an existing file; close() flushes and later lines are dropped', async () => {
    const path = logFile();
    writeFileSync(path, 'before\n');
    const sink = createLogSink({ destination: path });
    sink.write('a');
    await sink.close();
    sink.write('b');
    expect(read(path)).toBe('before\na\n');
    expect(sink.droppedLines).toBe(1);
  });

  it('the buffer is bounded: lines past maxBufferBytes are dropped and counted', async () => {
    const path = logFile();
    const sink = createLogSink({
      destination: path,
      flushIntervalMs: 60_000,
      minWriteBytes: 1_000_000,
      maxBufferBytes: 100,
    });
    onTestFinished(() => sink.close());
    const warn = vi.spyOn(process, 'emitWarning').mockImplementation(() => {});
    onTestFinished(() => warn.mockRestore());
    for (let i = 0; i < 50; i++) sink.write('0123456789');
    expect(sink.droppedLines).toBeGreaterThan(30);
    // One warning, not one per line.
    expect(warn).toHaveBeenCalledTimes(1);
    await sink.flush();
    expect(read(path).split('\n').length - 1).toBe(50 - sink.droppedLines);
  });

  it('lines still in memory are written when the process exits', () => {
    const path = logFile();
    const tsx = pathToFileURL(createRequire(import.meta.url).resolve('tsx')).href;
    const source = pathToFileURL(
      fileURLToPath(new URL('../src/access-log/log-sink.ts', import.meta.url)),
    ).href;
    const script =
      `import { createLogSink } from ${JSON.stringify(source)};` +
      `const sink = createLogSink({ destination: ${JSON.stringify(path)}, flushIntervalMs: 60000 });` +
      `for (let i = 0; i < 3; i++) sink.write('exit ' + i);` +
      'process.exit(0);';
    const child = spawnSync(
      process.execPath,
      ['--import', tsx, '--conditions=@rws/source', '--input-type=module', '-e', script],
      { encoding: 'utf8', timeout: 30_000 },
    );
    expect(child.stderr).toBe('');
    expect(child.status).toBe(0);
    expect(read(path)).toBe('exit 0\nexit 1\nexit 2\n');
  });

  it('rejects bad options and a file it cannot open', () => {
    expect(() => createLogSink({ destination: '' })).toThrow(/destination must be/);
    expect(() => createLogSink({ destination: 'stdout', flushIntervalMs: 0 })).toThrow(
      /flushIntervalMs must be a positive number/,
    );
    expect(() => createLogSink({ destination: join(dir, 'missing', 'x.log') })).toThrow(
      /cannot open .*missing.*for appending/,
    );
  });
});
