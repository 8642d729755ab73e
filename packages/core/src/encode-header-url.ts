/** Any char outside ASCII: what a header value cannot carry as text. */
const NON_ASCII = /[^\x00-\x7f]/;
const NON_ASCII_RUNS = /[^\x00-\x7f]+/g;
/** A surrogate without its other half: not a character, so not encodable as UTF-8. */
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/g;

/**
 * A URL made fit for a header value (`Location`, `Content-Location`, a `Link` target): its
 * non-ASCII characters percent-encoded as UTF-8 (RFC 3986 §2.5), everything else as given, so
 * `/café` becomes `/caf%C3%A9` and an already encoded URL is unchanged. Header values are byte
 * strings (one char per octet); a character above U+00FF has no octet, and one in
 * U+0080–U+00FF would go out as a single Latin-1 octet that no browser reads as UTF-8.
 * A lone surrogate becomes U+FFFD first.
 *
 * @see RFC 9110 §10.2.2 (Location is a URI reference), RFC 3986 §2.5
 * @example
 * ```ts
 * import { encodeHeaderUrl } from '@rws/core';
 * encodeHeaderUrl('/files/Zürich.pdf'); // '/files/Z%C3%BCrich.pdf'
 * ```
 */
export function encodeHeaderUrl(url: string): string {
  if (!NON_ASCII.test(url)) return url;
  return url
    .replace(LONE_SURROGATE, '\ufffd')
    .replace(NON_ASCII_RUNS, (run) => encodeURIComponent(run));
}
