/**
 * The request metadata headers of MCP 2026-07-28 Streamable HTTP ("Request Metadata"):
 * `Mcp-Method`, `Mcp-Name` and the `Mcp-Param-{Name}` headers a tool's `x-mcp-header`
 * properties ask for. Gateways route on them without reading the body, so a server MUST
 * reject a request whose headers are missing or say something else than its body
 * ("Server Validation", `HeaderMismatch` -32020).
 */
import type { Headers } from '@rws/core';
import type { JsonSchema } from '../types.js';

const SENTINEL = /^=\?base64\?([A-Za-z0-9+/]*={0,2})\?=$/;
/** Visible ASCII, space and tab (RFC 9110 field values), the only plain header values. */
const PLAIN = /^[\x20-\x7e\t]*$/;

/** Methods whose `Mcp-Name` names the tool, prompt or resource. */
const NAMED: Readonly<Record<string, 'name' | 'uri'>> = {
  'tools/call': 'name',
  'prompts/get': 'name',
  'resources/read': 'uri',
};

/** A header value as the client meant it: Base64 sentinel decoded; null when malformed. */
function decode(value: string): string | null {
  const m = SENTINEL.exec(value);
  if (m) return Buffer.from(m[1] as string, 'base64').toString('utf8');
  return PLAIN.test(value) ? value : null;
}

/** One `x-mcp-header` property of a tool's input schema: its path and header name. */
interface HeaderParam {
  readonly path: readonly string[];
  readonly header: string;
}

const paramCache = new WeakMap<JsonSchema, readonly HeaderParam[]>();

/** The `x-mcp-header` properties of a schema, following nested `properties` chains. */
function headerParams(schema: JsonSchema): readonly HeaderParam[] {
  const cached = paramCache.get(schema);
  if (cached) return cached;
  const out: HeaderParam[] = [];
  const walk = (node: unknown, path: string[]): void => {
    if (typeof node !== 'object' || node === null) return;
    const props = (node as Record<string, unknown>)['properties'];
    if (typeof props !== 'object' || props === null) return;
    for (const [key, sub] of Object.entries(props)) {
      if (typeof sub !== 'object' || sub === null) continue;
      const header = (sub as Record<string, unknown>)['x-mcp-header'];
      if (typeof header === 'string' && header !== '') out.push({ path: [...path, key], header });
      walk(sub, [...path, key]);
    }
  };
  walk(schema, []);
  paramCache.set(schema, out);
  return out;
}

function valueAt(args: unknown, path: readonly string[]): unknown {
  let v = args;
  for (const key of path) {
    if (typeof v !== 'object' || v === null) return undefined;
    v = (v as Record<string, unknown>)[key];
  }
  return v;
}

/** Integers compare as numbers (`42.0` is `42`), booleans as `true`/`false`, strings as is. */
function matches(header: string, value: unknown): boolean {
  if (typeof value === 'number') return header.trim() !== '' && Number(header) === value;
  if (typeof value === 'boolean') return header === String(value);
  return typeof value === 'string' && header === value;
}

/**
 * Why the headers do not match the request (the `HeaderMismatch` message), or null.
 * `toolSchema` is the listed input schema of the called tool, when there is one.
 */
export function headerMismatch(
  headers: Headers,
  method: string,
  params: Record<string, unknown>,
  toolSchema: JsonSchema | null,
): string | null {
  const sentMethod = headers.get('mcp-method');
  if (sentMethod === null) return 'Header mismatch: the Mcp-Method header is required';
  if (sentMethod !== method) {
    return `Header mismatch: Mcp-Method header value '${sentMethod}' does not match body value '${method}'`;
  }
  const field = NAMED[method];
  if (field !== undefined) {
    const raw = headers.get('mcp-name');
    if (raw === null) return `Header mismatch: the Mcp-Name header is required for ${method}`;
    const name = decode(raw);
    if (name === null) return 'Header mismatch: the Mcp-Name header has invalid characters';
    if (name !== params[field]) {
      return `Header mismatch: Mcp-Name header value '${name}' does not match body value '${String(params[field])}'`;
    }
  }
  if (method !== 'tools/call' || toolSchema === null) return null;
  for (const p of headerParams(toolSchema)) {
    const value = valueAt(params['arguments'], p.path);
    const raw = headers.get(`mcp-param-${p.header}`);
    if (value === undefined || value === null) continue;
    if (raw === null) return `Header mismatch: the Mcp-Param-${p.header} header is required`;
    const sent = decode(raw);
    if (sent === null)
      return `Header mismatch: the Mcp-Param-${p.header} header has invalid characters`;
    if (!matches(sent, value)) {
      return `Header mismatch: Mcp-Param-${p.header} header value '${sent}' does not match the argument ${p.path.join('.')}`;
    }
  }
  return null;
}
