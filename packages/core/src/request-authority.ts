/**
 * The authority a request is for (RFC 9112 §3.2.2): an absolute-form target's authority wins
 * over `Host`, a CONNECT's authority-form target is the authority itself, any other form
 * takes `Host`. Userinfo in an absolute-form target is dropped (RFC 9110 §4.2.4 deprecates it).
 * Returns null when there is none (empty or missing `Host`). Transports call it; the value is
 * kept as sent (case and port), for the router to normalise.
 *
 * @see RFC 9112 §3.2.2, RFC 9110 §7.2
 * @example
 * ```ts
 * import { requestAuthority } from '@rws/core';
 * requestAuthority('http://api.example:8080/a?b', 'other.example'); // 'api.example:8080'
 * requestAuthority('/a', 'example.com'); // 'example.com'
 * ```
 */
export function requestAuthority(target: string, host: string | null): string | null {
  const first = target.charCodeAt(0);
  // Origin-form ("/…") and asterisk-form ("*"): the common case costs one comparison.
  if (first !== 47 /* / */ && first !== 42 /* * */) {
    const scheme = target.indexOf('://');
    if (scheme === -1) return target === '' ? nonEmpty(host) : target; // authority-form
    let start = scheme + 3;
    let end = target.length;
    for (let i = start; i < end; i++) {
      const c = target.charCodeAt(i);
      if (c === 47 /* / */ || c === 63 /* ? */ || c === 35 /* # */) {
        end = i;
        break;
      }
    }
    const at = target.lastIndexOf('@', end);
    if (at >= start) start = at + 1;
    return end > start ? target.slice(start, end) : nonEmpty(host);
  }
  return nonEmpty(host);
}

function nonEmpty(host: string | null): string | null {
  return host === null || host === '' ? null : host;
}
