/** The pages a `Link` header points to; each is a set of query parameters. */
export interface PageLinks {
  readonly first?: Readonly<Record<string, string | number>> | undefined;
  readonly prev?: Readonly<Record<string, string | number>> | undefined;
  readonly next?: Readonly<Record<string, string | number>> | undefined;
  readonly last?: Readonly<Record<string, string | number>> | undefined;
}

/**
 * Builds an RFC 8288 `Link` header value: each link is `base` with the given query parameters
 * set (others kept), in the order first, prev, next, last. Returns '' when there is no link.
 *
 * @see RFC 8288 §3
 * @example
 * ```ts
 * linkHeader('https://api.example/users?q=a', { next: { page: 3, per_page: 20 } });
 * // '<https://api.example/users?q=a&page=3&per_page=20>; rel="next"'
 * ```
 */
export function linkHeader(base: string | URL, links: PageLinks): string {
  const parts: string[] = [];
  for (const rel of ['first', 'prev', 'next', 'last'] as const) {
    const params = links[rel];
    if (params === undefined) continue;
    const url = new URL(base);
    for (const [k, v] of Object.entries(params)) url.searchParams.set(k, String(v));
    // encodeURI-safe already; '>' cannot appear in a serialized URL, so no escaping is needed.
    parts.push(`<${url.href}>; rel="${rel}"`);
  }
  return parts.join(', ');
}
