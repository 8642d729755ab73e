/**
 * Escapes text for HTML element content and quoted attribute values: `&`, `<`, `>`, `"` and
 * `'` become character references. The one escaper rws uses (directory listings, the API
 * docs page). It does not make a value safe inside `<script>`, `<style>`, unquoted attributes
 * or URLs (`javascript:`); encode those for their own context.
 *
 * @example
 * ```ts
 * import { escapeHtml } from '@rws/core';
 * const cell = `<td title="${escapeHtml(name)}">${escapeHtml(name)}</td>`;
 * ```
 */
export function escapeHtml(s: string): string {
  let out = '';
  let last = 0;
  for (let i = 0; i < s.length; i++) {
    let rep: string;
    switch (s.charCodeAt(i)) {
      case 38:
        rep = '&amp;';
        break;
      case 60:
        rep = '&lt;';
        break;
      case 62:
        rep = '&gt;';
        break;
      case 34:
        rep = '&quot;';
        break;
      case 39:
        rep = '&#39;';
        break;
      default:
        continue;
    }
    out += s.slice(last, i) + rep;
    last = i + 1;
  }
  return last === 0 ? s : out + s.slice(last);
}
