/**
 * Splits a SQL script into statements on `;` outside quotes ('…', "…", `…`), dollar quotes
 * ($$…$$, $tag$…$tag$) and comments. Needed because mysql2 and better-sqlite3's prepared
 * statements take one statement at a time. Empty statements are dropped.
 */
export function splitSql(script: string): string[] {
  const out: string[] = [];
  let start = 0;
  let i = 0;
  const n = script.length;
  while (i < n) {
    const c = script[i];
    if (c === "'" || c === '"' || c === '`') {
      const end = script.indexOf(c, i + 1);
      i = end < 0 ? n : end + 1;
    } else if (c === '-' && script[i + 1] === '-') {
      const end = script.indexOf('\n', i);
      i = end < 0 ? n : end + 1;
    } else if (c === '/' && script[i + 1] === '*') {
      const end = script.indexOf('*/', i + 2);
      i = end < 0 ? n : end + 2;
    } else if (c === '$') {
      const m = /^\$[A-Za-z_]*\$/.exec(script.slice(i, i + 64));
      if (m === null) i++;
      else {
        const end = script.indexOf(m[0], i + m[0].length);
        i = end < 0 ? n : end + m[0].length;
      }
    } else if (c === ';') {
      out.push(script.slice(start, i));
      start = ++i;
    } else i++;
  }
  out.push(script.slice(start));
  return out.map((s) => s.trim()).filter((s) => s !== '' && !isOnlyComments(s));
}

function isOnlyComments(s: string): boolean {
  return s.split('\n').every((line) => line.trim() === '' || line.trim().startsWith('--'));
}
