import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ERROR_CODES, ERROR_DESCRIPTIONS } from '../src/errors.js';

describe('error codes', () => {
  it('are RWS_HTTP1_* and each has a description', () => {
    for (const code of Object.values(ERROR_CODES)) {
      expect(code).toMatch(/^RWS_HTTP1_[A-Z0-9_]+$/);
      expect(ERROR_DESCRIPTIONS[code], code).toBeTruthy();
    }
    expect(Object.keys(ERROR_DESCRIPTIONS).sort()).toEqual(Object.values(ERROR_CODES).sort());
  });

  it('match the @rws/http1 rows of docs/errors.md exactly', () => {
    const doc = readFileSync(
      fileURLToPath(new URL('../../../docs/errors.md', import.meta.url)),
      'utf8',
    );
    const rows = new Map<string, string>();
    for (const line of doc.split('\n')) {
      if (!line.includes('`@rws/http1`')) continue;
      const cells = line.split('|').map((c) => c.trim());
      rows.set(cells[1]!.replaceAll('`', ''), cells[3]!);
    }
    expect([...rows.keys()].sort()).toEqual(Object.values(ERROR_CODES).sort());
    for (const [code, meaning] of rows) {
      expect(meaning, code).toBe(ERROR_DESCRIPTIONS[code as keyof typeof ERROR_DESCRIPTIONS]);
    }
  });
});
