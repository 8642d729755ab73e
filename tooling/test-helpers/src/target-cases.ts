/**
 * Request-targets of every form (RFC 9112 §3.2) with the path and query every layer must split
 * them into (core's `createRequest`, the HTTP/1.1 server, the redirect listener), so the layers
 * cannot disagree again.
 */
export const REQUEST_TARGET_CASES: readonly (readonly [
  target: string,
  path: string,
  search: string,
])[] = [
  ['/', '/', ''],
  ['/a/b?x=1&y=?2', '/a/b', 'x=1&y=?2'],
  ['/a?', '/a', ''],
  ['/%2e%2E/x?q=%20', '/%2e%2E/x', 'q=%20'],
  ['*', '*', ''],
  ['example.com:443', '', ''],
  ['[::1]:8443', '', ''],
  ['http://example.com/p/q?z=9', '/p/q', 'z=9'],
  ['http://example.com', '/', ''],
  ['http://example.com?k=v', '/', 'k=v'],
  ['https://h:8443/x/?a/b', '/x/', 'a/b'],
  ['http://u@h/p?/q', '/p', '/q'],
];
