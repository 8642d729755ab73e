import { describe, expect, it } from 'vitest';
import { LineBatch } from '../src/access-log/line-batch.js';

describe('LineBatch (the access log sink pending lines)', () => {
  it('keeps lines in order as UTF-8 with newlines, across buffers and for lines longer than one', () => {
    const batch = new LineBatch();
    const lines: string[] = [];
    // About 300 KiB: several 64 KiB buffers sealed before one take.
    for (let i = 0; i < 3000; i++)
      lines.push(`{"i":${i},"path":"/caf\u00e9/\u{1f600}/${'x'.repeat(i % 90)}"}`);
    lines.push('y'.repeat(100_000)); // longer than a batch buffer
    lines.push('\ud800 lone surrogate');
    for (const line of lines) batch.add(line);
    const expected = Buffer.from(lines.map((l) => `${l}\n`).join(''));
    expect(batch.bytes).toBe(expected.length);
    const out = batch.take();
    expect(out.equals(expected)).toBe(true);
    expect(batch.bytes).toBe(0);
  });

  it('reuses a written batch buffer for later lines, without touching bytes not yet released', () => {
    const batch = new LineBatch();
    batch.add('first');
    const a = batch.take();
    batch.add('second');
    // `a` is still being written: adding lines must not change it.
    expect(a.toString()).toBe('first\n');
    batch.release(a);
    const b = batch.take();
    expect(b.toString()).toBe('second\n');
    batch.add('third');
    // The buffer behind `a` now takes new lines.
    const c = batch.take();
    expect(c.buffer).toBe(a.buffer);
    expect(c.toString()).toBe('third\n');
    expect(b.toString()).toBe('second\n');
  });
});
