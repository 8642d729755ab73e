/**
 * `completion/complete` (MCP 2025-06-18 "Completion"): argument suggestions for a prompt
 * (`ref/prompt`) or a resource template (`ref/resource`), from the completers registered with
 * them. At most 100 values go out; `hasMore`/`total` tell the client there are more.
 */
import { JSON_RPC_ERRORS, JsonRpcError } from '../json-rpc.js';
import type { Registry } from '../registry.js';
import type { Completer, CompletionResult, McpContext } from '../types.js';

const MAX_VALUES = 100;

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function invalid(message: string): JsonRpcError {
  return new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, message);
}

function findCompleter(registry: Registry, ref: Record<string, unknown>, arg: string) {
  if (ref['type'] === 'ref/prompt') {
    const name = ref['name'];
    const prompt = typeof name === 'string' ? registry.prompts.get(name) : undefined;
    if (prompt === undefined) throw invalid(`Unknown prompt: ${String(name)}`);
    return prompt.complete?.[arg];
  }
  if (ref['type'] === 'ref/resource') {
    const uri = ref['uri'];
    const template = registry.templates.find((t) => t.def.uriTemplate === uri);
    if (template === undefined) throw invalid(`Unknown resource template: ${String(uri)}`);
    return template.def.complete?.[arg];
  }
  throw invalid('params.ref.type must be "ref/prompt" or "ref/resource"');
}

export async function complete(
  registry: Registry,
  params: Record<string, unknown>,
  ctx: McpContext,
): Promise<{ completion: CompletionResult }> {
  const ref = params['ref'];
  const argument = params['argument'];
  if (!isObject(ref)) throw invalid('params.ref must be an object');
  if (
    !isObject(argument) ||
    typeof argument['name'] !== 'string' ||
    typeof argument['value'] !== 'string'
  ) {
    throw invalid('params.argument needs a string name and value');
  }
  const context = params['context'];
  const given = isObject(context) && isObject(context['arguments']) ? context['arguments'] : {};
  const args: Record<string, string> = {};
  for (const [k, v] of Object.entries(given)) if (typeof v === 'string') args[k] = v;
  const completer: Completer | undefined = findCompleter(registry, ref, argument['name']);
  // An argument without a completer has no suggestions; that is not an error (spec).
  if (completer === undefined) return { completion: { values: [], hasMore: false } };
  const out = await completer(argument['value'], { arguments: args, ctx });
  const all = Array.isArray(out) ? (out as readonly string[]) : (out as CompletionResult).values;
  const values = all.slice(0, MAX_VALUES).map(String);
  const completion: CompletionResult = { values };
  const total = Array.isArray(out) ? all.length : (out as CompletionResult).total;
  if (total !== undefined) completion.total = total;
  completion.hasMore = Array.isArray(out)
    ? all.length > MAX_VALUES
    : ((out as CompletionResult).hasMore ?? all.length > MAX_VALUES);
  return { completion };
}
