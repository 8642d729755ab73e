/**
 * A small browser for login tests: keeps cookies per origin, follows redirects by hand (so a
 * test can rewrite a hop, as an attacker in the middle would) and submits the first HTML form of
 * a page (the provider's login, consent and logout-confirm pages).
 */

/**
 * The name, value and expiry of a `Set-Cookie` line (RFC 6265 §5.2, the parts a cookie jar
 * needs). Not @rws/core's parser: the helpers sit below core in the graph (core's tests use them).
 */
function parseSetCookie(line: string): { name: string; value: string; isExpired: boolean } | null {
  const [pair = '', ...attrs] = line.split(';');
  const eq = pair.indexOf('=');
  if (eq <= 0) return null;
  let isExpired = false;
  let hasMaxAge = false;
  for (const attr of attrs) {
    const sep = attr.indexOf('=');
    const key = (sep === -1 ? attr : attr.slice(0, sep)).trim().toLowerCase();
    const value = sep === -1 ? '' : attr.slice(sep + 1).trim();
    if (key === 'max-age' && /^-?\d+$/.test(value)) {
      hasMaxAge = true;
      isExpired = Number(value) <= 0;
    } else if (key === 'expires' && !hasMaxAge) {
      const time = Date.parse(value);
      if (!Number.isNaN(time)) isExpired = time < Date.now();
    }
  }
  return { name: pair.slice(0, eq).trim(), value: pair.slice(eq + 1).trim(), isExpired };
}

export interface Page {
  readonly status: number;
  readonly url: string;
  readonly text: string;
  readonly headers: Headers;
}

export interface FollowOptions {
  /** Changes a redirect target before it is followed. */
  readonly rewrite?: ((url: URL) => URL) | undefined;
  /** Form fields to fill in, by input name. */
  readonly fill?: Readonly<Record<string, string>> | undefined;
  /** Stop before following a redirect to a URL this returns true for. */
  readonly stopAt?: ((url: URL) => boolean) | undefined;
}

interface Form {
  readonly action: string;
  readonly fields: URLSearchParams;
}

function attr(tag: string, name: string): string | null {
  const m = new RegExp(`\\s${name}="([^"]*)"`).exec(tag);
  return m === null
    ? null
    : m[1]!
        .replace(/&amp;/g, '&')
        .replace(/&#x2F;/g, '/')
        .replace(/&#x3D;/g, '=');
}

function firstForm(html: string): Form | null {
  const open = /<form\b[^>]*>/i.exec(html);
  if (open === null) return null;
  const action = attr(open[0], 'action');
  if (action === null) return null;
  const end = html.indexOf('</form>', open.index);
  const body = html.slice(open.index, end === -1 ? html.length : end);
  const fields = new URLSearchParams();
  for (const m of body.matchAll(/<input\b[^>]*>/gi)) {
    const name = attr(m[0], 'name');
    if (name !== null) fields.set(name, attr(m[0], 'value') ?? '');
  }
  // Submit buttons may sit outside the form (form="id"); the first named one is pressed.
  for (const m of html.matchAll(/<button\b[^>]*>/gi)) {
    const name = attr(m[0], 'name');
    if (name !== null) {
      fields.set(name, attr(m[0], 'value') ?? '');
      break;
    }
  }
  return { action, fields };
}

export class Browser {
  readonly #jar = new Map<string, Map<string, string>>();

  /** The cookies this browser holds for an origin. */
  cookies(origin: string): Map<string, string> {
    let jar = this.#jar.get(origin);
    if (jar === undefined) {
      jar = new Map();
      this.#jar.set(origin, jar);
    }
    return jar;
  }

  /** One request, no redirect following; cookies sent and stored. */
  async request(url: string | URL, init: RequestInit = {}): Promise<Page> {
    const target = new URL(url);
    const jar = this.cookies(target.origin);
    const headers = new Headers(init.headers);
    headers.set('accept', headers.get('accept') ?? 'text/html');
    if (jar.size > 0) headers.set('cookie', [...jar].map(([k, v]) => `${k}=${v}`).join('; '));
    const res = await fetch(target, { ...init, headers, redirect: 'manual' });
    for (const line of res.headers.getSetCookie()) {
      const c = parseSetCookie(line);
      if (c === null) continue;
      if (c.isExpired) jar.delete(c.name);
      else jar.set(c.name, c.value);
    }
    return { status: res.status, url: target.href, text: await res.text(), headers: res.headers };
  }

  /**
   * Requests `url` and keeps going: redirects are followed (GET), and a page with a form is
   * submitted (POST), until a page without a form, an error status or `stopAt`.
   */
  async follow(
    url: string | URL,
    options: FollowOptions = {},
    init: RequestInit = {},
  ): Promise<Page> {
    let next = new URL(url);
    let nextInit = init;
    for (let hop = 0; hop < 30; hop++) {
      const page = await this.request(next, nextInit);
      nextInit = {};
      const location = page.headers.get('location');
      if (page.status >= 300 && page.status < 400 && location !== null) {
        next = new URL(location, page.url);
        if (options.rewrite !== undefined) next = options.rewrite(next);
        if (options.stopAt?.(next) === true) return { ...page, url: next.href };
        continue;
      }
      const form = page.status === 200 ? firstForm(page.text) : null;
      if (form === null) return page;
      for (const [k, v] of Object.entries(options.fill ?? {}))
        if (form.fields.has(k)) form.fields.set(k, v);
      next = new URL(form.action, page.url);
      nextInit = {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded' },
        body: form.fields.toString(),
      };
    }
    throw new Error(`too many hops from ${String(url)}`);
  }
}
