/**
 * Splits a request-target into its path (still percent-encoded) and query (without `?`), for
 * every form of RFC 9112 §3.2. The one splitter every transport and adapter uses, so a target
 * means the same thing on every layer:
 *
 * - origin-form `/a/b?x=1` → `['/a/b', 'x=1']`;
 * - absolute-form `http://h/a?x=1` → `['/a', 'x=1']`; an empty path is `/` (`http://h?x` →
 *   `['/', 'x']`);
 * - asterisk-form `*` → `['*', '']`;
 * - authority-form `host:443` (CONNECT) → `['', '']`: it names a tunnel's endpoint and has
 *   no path, so it can never match a route or a file.
 *
 * @see RFC 9112 §3.2, RFC 3986 §3
 */
export function splitTarget(target: string): [path: string, search: string] {
  // Origin-form is the common case and costs one indexOf.
  if (target.charCodeAt(0) === 47 /* / */) {
    const q = target.indexOf('?');
    return q === -1 ? [target, ''] : [target.slice(0, q), target.slice(q + 1)];
  }
  if (target === '*') return ['*', ''];
  const scheme = target.indexOf('://');
  if (scheme === -1) return ['', ''];
  const authorityStart = scheme + 3;
  const slash = target.indexOf('/', authorityStart);
  const q = target.indexOf('?', authorityStart);
  if (slash === -1 || (q !== -1 && q < slash)) {
    return ['/', q === -1 ? '' : target.slice(q + 1)];
  }
  if (q === -1) return [target.slice(slash), ''];
  return [target.slice(slash, q), target.slice(q + 1)];
}
