import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** One row of the docs/errors.md table. */
export interface ErrorsDocRow {
  code: string;
  package: string;
  meaning: string;
}

/** Absolute path of the repository's docs/errors.md. */
export const ERRORS_DOC_PATH: string = fileURLToPath(
  new URL('../../../docs/errors.md', import.meta.url),
);

/** Splits a table line at unescaped `|`, unescaping `\|` inside cells. */
function splitRow(line: string): string[] {
  const cells: string[] = [];
  let cell = '';
  for (let i = 0; i < line.length; i++) {
    const ch = line[i]!;
    if (ch === '\\' && line[i + 1] === '|') {
      cell += '|';
      i++;
    } else if (ch === '|') {
      cells.push(cell.trim());
      cell = '';
    } else {
      cell += ch;
    }
  }
  cells.push(cell.trim());
  // A row `| a | b |` splits into ['', 'a', 'b', ''].
  return cells.slice(1, -1);
}

/** A cell without surrounding backticks. */
function unquote(cell: string): string {
  return cell.length >= 2 && cell.startsWith('`') && cell.endsWith('`') ? cell.slice(1, -1) : cell;
}

/**
 * Parses every `| code | package | meaning |` table row of an errors document. The header row
 * and the `|---|` separator are skipped; a row with another cell count or a code listed twice
 * throws, so a malformed document fails its tests instead of passing silently.
 */
export function parseErrorsDoc(markdown: string): ErrorsDocRow[] {
  const rows: ErrorsDocRow[] = [];
  const seen = new Set<string>();
  for (const raw of markdown.split('\n')) {
    const line = raw.trim();
    if (!line.startsWith('|')) continue;
    const cells = splitRow(line);
    if (cells.length !== 3) {
      throw new Error(`docs/errors.md: expected 3 cells in ${JSON.stringify(line)}`);
    }
    const [code, pkg, meaning] = cells.map(unquote) as [string, string, string];
    if (code === 'code' || code.startsWith('---') || code.startsWith(':--')) continue;
    if (seen.has(code)) throw new Error(`docs/errors.md: ${code} is listed twice`);
    seen.add(code);
    rows.push({ code, package: pkg, meaning });
  }
  return rows;
}

/** Reads and parses docs/errors.md (or another file). */
export function readErrorsDoc(path: string = ERRORS_DOC_PATH): ErrorsDocRow[] {
  return parseErrorsDoc(readFileSync(path, 'utf8'));
}

/**
 * The rows of one package as `{ code: meaning }`, comparable with a package's
 * `ERROR_DESCRIPTIONS`:
 *
 * @example
 * ```ts
 * expect(errorsDocEntries('@rws/core')).toEqual(ERROR_DESCRIPTIONS);
 * ```
 */
export function errorsDocEntries(
  packageName: string,
  rows: readonly ErrorsDocRow[] = readErrorsDoc(),
): Record<string, string> {
  const out: Record<string, string> = {};
  for (const row of rows) if (row.package === packageName) out[row.code] = row.meaning;
  return out;
}
