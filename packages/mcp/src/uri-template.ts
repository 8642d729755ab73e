import { McpError } from './errors.js';

/**
 * A URI template of RFC 6570 level 1 and the reserved form: `{name}` matches one path segment
 * (no `/`), `{+name}` matches the rest, possibly with slashes. Enough for resource templates
 * such as `file:///{+path}` or `users://{id}/profile`; values are percent-decoded.
 */
export interface UriTemplate {
  readonly template: string;
  readonly variables: readonly string[];
  match(uri: string): Record<string, string> | null;
}

function escapeRegExp(s: string): string {
  return s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

export function compileUriTemplate(template: string): UriTemplate {
  const variables: string[] = [];
  let pattern = '^';
  let last = 0;
  const re = /\{(\+?)([A-Za-z0-9_]+)\}/g;
  for (let m = re.exec(template); m !== null; m = re.exec(template)) {
    const literal = template.slice(last, m.index);
    if (/[{}]/.test(literal)) {
      throw new McpError('RWS_MCP_INVALID_DEFINITION', `URI template ${template} is malformed`);
    }
    pattern += escapeRegExp(literal) + (m[1] === '+' ? '(.+)' : '([^/]+)');
    variables.push(m[2] as string);
    last = m.index + m[0].length;
  }
  const tail = template.slice(last);
  if (/[{}]/.test(tail) || variables.length === 0) {
    throw new McpError(
      'RWS_MCP_INVALID_DEFINITION',
      `URI template ${template} must have {name} or {+name} variables and nothing else in braces`,
    );
  }
  const regex = new RegExp(pattern + escapeRegExp(tail) + '$');
  return {
    template,
    variables,
    match(uri) {
      const m = regex.exec(uri);
      if (!m) return null;
      const out: Record<string, string> = {};
      for (let i = 0; i < variables.length; i++) {
        try {
          out[variables[i] as string] = decodeURIComponent(m[i + 1] as string);
        } catch {
          return null;
        }
      }
      return out;
    },
  };
}
