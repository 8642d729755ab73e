import { describe, expect, it } from 'vitest';
import { errorsDocEntries, parseErrorsDoc, readErrorsDoc } from '../src/index.js';

describe('parseErrorsDoc', () => {
  it('reads table rows, skipping header and separator, unquoting code cells', () => {
    const md = [
      '# Errors',
      '',
      '| code | package | meaning |',
      '|---|---|---|',
      '| `RWS_A_X` | `@rws/a` | first \\| with a pipe |',
      '| RWS_B_Y | @rws/b | second |',
    ].join('\n');
    const rows = parseErrorsDoc(md);
    expect(rows).toEqual([
      { code: 'RWS_A_X', package: '@rws/a', meaning: 'first | with a pipe' },
      { code: 'RWS_B_Y', package: '@rws/b', meaning: 'second' },
    ]);
    expect(errorsDocEntries('@rws/b', rows)).toEqual({ RWS_B_Y: 'second' });
  });

  it('fails on duplicates and malformed rows', () => {
    expect(() => parseErrorsDoc('| A | p | m |\n| A | p | n |')).toThrow('twice');
    expect(() => parseErrorsDoc('| A | p |')).toThrow('3 cells');
  });

  it('parses the real docs/errors.md', () => {
    expect(readErrorsDoc().length).toBeGreaterThan(0);
  });
});
