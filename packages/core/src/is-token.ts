import { TOKEN_CHARS } from './internal/token.js';

/** True when `s` is a non-empty RFC 9110 §5.6.2 token (letters, digits, `!#$%&'*+-.^_`|~`). */
export function isToken(s: string): boolean {
  if (typeof s !== 'string' || s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c > 255 || TOKEN_CHARS[c] !== 1) return false;
  }
  return true;
}
