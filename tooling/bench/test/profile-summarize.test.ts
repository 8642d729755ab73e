import { describe, expect, it } from 'vitest';
import { summarizeCpu } from '../src/profile/summarize.js';

const frame = (functionName: string, url = '') => ({ functionName, url, lineNumber: 0 });

describe('summarizeCpu', () => {
  it('splits the busy time by layer, idle left out', () => {
    const profile = {
      startTime: 0,
      endTime: 1000,
      nodes: [
        { id: 1, callFrame: frame('(idle)'), hitCount: 50 },
        { id: 2, callFrame: frame('writeUtf8String'), hitCount: 20 },
        { id: 3, callFrame: frame('(garbage collector)'), hitCount: 5 },
        {
          id: 4,
          callFrame: frame(
            'writeResponse',
            'file:///r/packages/http1/src/internal/write-response.ts',
          ),
          hitCount: 10,
        },
        {
          id: 5,
          callFrame: frame('onStreamRead', 'node:internal/stream_base_commons'),
          hitCount: 10,
        },
        { id: 6, callFrame: frame('nextTick', 'node:internal/process/task_queues'), hitCount: 5 },
      ],
    };
    const report = summarizeCpu(profile, 10, 10);
    const split = report.slice(report.indexOf('by layer'));
    expect(report).toContain('busy time (50 samples, idle left out)');
    expect(split).toMatch(/40\.0%\s+20\s+socket write/);
    expect(split).toMatch(/20\.0%\s+10\s+rws: http1/);
    expect(split).toMatch(/20\.0%\s+10\s+Node JS: net\/streams/);
    expect(split).toMatch(/10\.0%\s+5\s+V8 garbage collector/);
    expect(split).toMatch(/10\.0%\s+5\s+Node JS: ticks\/timers/);
    expect(split).not.toContain('idle');
  });
});
