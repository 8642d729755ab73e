/**
 * The pieces bench scripts share: the harness flags handed to a script as its environment,
 * and the allocation count of packages' in-process bench scripts.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { flagEnv, socketsEnv } from '../src/bench-script.js';
import { measureAllocations } from '../src/profile/sample-allocations.js';

const argv = process.argv;
const connections = process.env['BENCH_CONNECTIONS'];

function withArgs(...args: string[]): void {
  process.argv = [argv[0]!, 'cli.ts', 'suite', ...args];
}

afterEach(() => {
  process.argv = argv;
  if (connections === undefined) delete process.env['BENCH_CONNECTIONS'];
  else process.env['BENCH_CONNECTIONS'] = connections;
});

describe('flagEnv and socketsEnv', () => {
  it('hands over the flags given, in both spellings, and leaves out the rest', () => {
    withArgs('--rounds', '3', '--stat=median', '--duration', '', '--other', 'x');
    expect(
      flagEnv({
        BENCH_ROUNDS: 'rounds',
        BENCH_STAT: 'stat',
        BENCH_DURATION: 'duration',
        BENCH_WARMUP: 'warmup',
      }),
    ).toEqual({ BENCH_ROUNDS: '3', BENCH_STAT: 'median' });
  });

  it('turns --connections, else BENCH_CONNECTIONS, into sockets with four requests each', () => {
    withArgs('--connections', '8');
    process.env['BENCH_CONNECTIONS'] = '2';
    expect(socketsEnv()).toEqual({ BENCH_SOCKETS: '8', BENCH_CONCURRENCY: '32' });
    withArgs();
    expect(socketsEnv()).toEqual({ BENCH_SOCKETS: '2', BENCH_CONCURRENCY: '8' });
    delete process.env['BENCH_CONNECTIONS'];
    expect(socketsEnv()).toEqual({});
  });
});

describe('measureAllocations', () => {
  it('reports the bytes one run allocates and the frame that allocated them', async () => {
    const kept: number[][] = [];
    async function allocateDoubles(): Promise<void> {
      // 4096 doubles on the JS heap (an ArrayBuffer's bytes live outside it, uncounted).
      kept.push(new Array<number>(4096).fill(0.5));
    }
    const report = await measureAllocations(allocateDoubles, { count: 500, unit: 'op' });
    const perOp = Number(/^(\d+) bytes allocated per op \(500 ops\):/.exec(report)?.[1]);
    // V8's sampling estimate of 32 KiB: far from 0 and from the whole 16 MiB.
    expect(perOp).toBeGreaterThan(8 * 1024);
    expect(perOp).toBeLessThan(1024 * 1024);
    expect(report).toMatch(/B\/op {2}allocateDoubles /);
    expect(kept).toHaveLength(500);
  });
});
