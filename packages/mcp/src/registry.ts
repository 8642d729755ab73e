import { McpError } from './errors.js';
import { EscalatedError } from './internal/mrtr.js';
import { JSON_RPC_ERRORS, JsonRpcError } from './json-rpc.js';
import type {
  JsonSchema,
  McpContext,
  PromptDefinition,
  ResourceContents,
  ResourceDefinition,
  ResourceTemplateDefinition,
  StandardSchemaV1,
  ToolDefinition,
  ToolResult,
} from './types.js';
import { compileUriTemplate, type UriTemplate } from './uri-template.js';

function isStandardSchema(v: unknown): v is StandardSchemaV1 {
  return typeof v === 'object' && v !== null && '~standard' in v;
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** The JSON Schema a tool lists: given, derived from a Standard Schema, or an open object. */
function jsonSchemaOf(schema: JsonSchema | StandardSchemaV1 | undefined): JsonSchema {
  if (schema === undefined) return { type: 'object' };
  if (!isStandardSchema(schema)) return schema;
  const derived = schema['~standard'].jsonSchema?.input({ target: 'draft-2020-12' });
  return derived ?? { type: 'object' };
}

function issuesText(
  issues: ReadonlyArray<{ message: string; path?: ReadonlyArray<unknown> | undefined }>,
): string {
  return issues
    .map((i) => {
      const path = (i.path ?? [])
        .map((p) => String(isObject(p) && 'key' in p ? p['key'] : p))
        .join('.');
      return path ? `${path}: ${i.message}` : i.message;
    })
    .join('; ');
}

const JSON_TYPES: Record<string, (v: unknown) => boolean> = {
  string: (v) => typeof v === 'string',
  number: (v) => typeof v === 'number',
  integer: (v) => Number.isInteger(v),
  boolean: (v) => typeof v === 'boolean',
  object: isObject,
  array: Array.isArray,
  null: (v) => v === null,
};

/**
 * A shallow check of arguments against a plain JSON Schema: `required` members and the
 * `type` of each listed property. Deeper validation belongs to a Standard Schema.
 */
function checkJsonSchema(schema: JsonSchema, args: Record<string, unknown>): string | null {
  const required = Array.isArray(schema['required']) ? schema['required'] : [];
  for (const name of required) {
    if (typeof name === 'string' && !Object.hasOwn(args, name)) return `${name}: required`;
  }
  const props = isObject(schema['properties']) ? schema['properties'] : {};
  for (const [name, value] of Object.entries(args)) {
    const prop = props[name];
    if (!isObject(prop)) continue;
    const type = prop['type'];
    const types = typeof type === 'string' ? [type] : Array.isArray(type) ? type : [];
    if (types.length > 0 && !types.some((t) => JSON_TYPES[String(t)]?.(value) ?? true)) {
      return `${name}: expected ${types.join(' or ')}`;
    }
  }
  return null;
}

/** Tools' listed input schemas, derived once (a Standard Schema's costs a conversion). */
const listedSchemas = new WeakMap<object, JsonSchema>();

interface Template {
  def: ResourceTemplateDefinition;
  compiled: UriTemplate;
}

function requireName(kind: string, name: unknown): void {
  if (typeof name !== 'string' || name === '') {
    throw new McpError('RWS_MCP_INVALID_DEFINITION', `a ${kind} needs a non-empty name`);
  }
}

function requireFunction(kind: string, name: string, fn: unknown): void {
  if (typeof fn !== 'function') {
    throw new McpError('RWS_MCP_INVALID_DEFINITION', `${kind} ${name} needs a handler function`);
  }
}

function pick<T extends object>(obj: T, keys: readonly (keyof T)[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k of keys) if (obj[k] !== undefined) out[k as string] = obj[k];
  return out;
}

/** Cursor pagination over a list: the cursor is an opaque token of the next offset. */
function paginate<T>(
  items: readonly T[],
  cursor: unknown,
  pageSize: number,
): { page: T[]; nextCursor?: string } {
  let offset = 0;
  if (cursor !== undefined) {
    const decoded =
      typeof cursor === 'string' ? Buffer.from(cursor, 'base64url').toString('utf8') : '';
    const m = /^o:(\d{1,9})$/.exec(decoded);
    if (!m) throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'invalid cursor');
    offset = Number(m[1]);
  }
  const page = items.slice(offset, offset + pageSize);
  const next = offset + pageSize;
  if (next < items.length) {
    return { page, nextCursor: Buffer.from(`o:${next}`).toString('base64url') };
  }
  return { page };
}

/** The tools, resources and prompts of one server, and the MCP methods that serve them. */
export class Registry {
  readonly tools: Map<string, ToolDefinition<never>> = new Map();
  readonly resources: Map<string, ResourceDefinition> = new Map();
  readonly templates: Template[] = [];
  readonly prompts: Map<string, PromptDefinition> = new Map();

  addTool(def: ToolDefinition<never>): void {
    requireName('tool', def.name);
    requireFunction('tool', def.name, def.handler);
    if (this.tools.has(def.name)) {
      throw new McpError('RWS_MCP_DUPLICATE', `tool ${def.name} is already registered`);
    }
    this.tools.set(def.name, def);
  }

  addResource(def: ResourceDefinition): void {
    requireName('resource', def.name);
    requireFunction('resource', def.name, def.read);
    if (typeof def.uri !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:/.test(def.uri)) {
      throw new McpError(
        'RWS_MCP_INVALID_DEFINITION',
        `resource ${def.name} needs an absolute URI`,
      );
    }
    if (this.resources.has(def.uri)) {
      throw new McpError('RWS_MCP_DUPLICATE', `resource ${def.uri} is already registered`);
    }
    this.resources.set(def.uri, def);
  }

  addTemplate(def: ResourceTemplateDefinition): void {
    requireName('resource template', def.name);
    requireFunction('resource template', def.name, def.read);
    if (this.templates.some((t) => t.def.name === def.name)) {
      throw new McpError(
        'RWS_MCP_DUPLICATE',
        `resource template ${def.name} is already registered`,
      );
    }
    this.templates.push({ def, compiled: compileUriTemplate(def.uriTemplate) });
  }

  addPrompt(def: PromptDefinition): void {
    requireName('prompt', def.name);
    requireFunction('prompt', def.name, def.get);
    if (this.prompts.has(def.name)) {
      throw new McpError('RWS_MCP_DUPLICATE', `prompt ${def.name} is already registered`);
    }
    this.prompts.set(def.name, def);
  }

  /** Removes a tool, resource (by URI), resource template or prompt; false when absent. */
  remove(kind: 'tool' | 'resource' | 'resourceTemplate' | 'prompt', key: string): boolean {
    if (kind === 'tool') return this.tools.delete(key);
    if (kind === 'resource') return this.resources.delete(key);
    if (kind === 'prompt') return this.prompts.delete(key);
    const i = this.templates.findIndex((t) => t.def.name === key);
    if (i >= 0) this.templates.splice(i, 1);
    return i >= 0;
  }

  hasResources(): boolean {
    return this.resources.size > 0 || this.templates.length > 0;
  }

  /** True when a prompt or resource template has completers (`completions` capability). */
  hasCompleters(): boolean {
    return (
      [...this.prompts.values()].some((p) => p.complete !== undefined) ||
      this.templates.some((t) => t.def.complete !== undefined)
    );
  }

  /** True when a tool may run as a task (`execution.taskSupport` optional or required). */
  hasTaskTools(): boolean {
    for (const t of this.tools.values()) {
      const support = t.execution?.taskSupport;
      if (support === 'optional' || support === 'required') return true;
    }
    return false;
  }

  capabilities(): Record<string, unknown> {
    const caps: Record<string, unknown> = { logging: {} };
    if (this.hasCompleters()) caps['completions'] = {};
    // Lists may change at run time (register/remove): clients are told with list_changed.
    if (this.tools.size > 0) caps['tools'] = { listChanged: true };
    if (this.hasResources()) caps['resources'] = { subscribe: true, listChanged: true };
    if (this.prompts.size > 0) caps['prompts'] = { listChanged: true };
    if (this.hasTaskTools()) {
      caps['tasks'] = { list: {}, cancel: {}, requests: { tools: { call: {} } } };
    }
    return caps;
  }

  /** The JSON Schema `tools/list` shows for a tool's input (derived once), or null. */
  inputSchemaOf(name: string): JsonSchema | null {
    const tool = this.tools.get(name);
    if (tool === undefined) return null;
    let schema = listedSchemas.get(tool);
    if (schema === undefined) {
      schema = jsonSchemaOf(tool.inputSchema);
      listedSchemas.set(tool, schema);
    }
    return schema;
  }

  listTools(cursor: unknown, pageSize: number): Record<string, unknown> {
    const { page, nextCursor } = paginate([...this.tools.values()], cursor, pageSize);
    const tools = page.map((t) => {
      const out = pick(t, ['name', 'title', 'description', 'icons', 'annotations', 'execution']);
      out['inputSchema'] = this.inputSchemaOf(t.name);
      if (t.outputSchema !== undefined) out['outputSchema'] = jsonSchemaOf(t.outputSchema);
      return out;
    });
    return nextCursor === undefined ? { tools } : { tools, nextCursor };
  }

  async callTool(params: Record<string, unknown>, ctx: McpContext): Promise<ToolResult> {
    const name = params['name'];
    if (typeof name !== 'string') {
      throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'params.name must be a string');
    }
    const tool = this.tools.get(name);
    if (!tool) throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, `Unknown tool: ${name}`);
    const raw = params['arguments'] ?? {};
    if (!isObject(raw)) {
      throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'params.arguments must be an object');
    }
    let args: unknown = raw;
    const schema = tool.inputSchema;
    if (isStandardSchema(schema)) {
      const result = await schema['~standard'].validate(raw);
      if (result.issues) {
        return invalidArguments(
          ctx,
          `Invalid arguments for tool ${name}: ${issuesText(result.issues)}`,
        );
      }
      args = result.value;
    } else if (schema !== undefined) {
      const problem = checkJsonSchema(schema, raw);
      if (problem) return invalidArguments(ctx, `Invalid arguments for tool ${name}: ${problem}`);
    }
    let result: ToolResult;
    try {
      const out = await tool.handler(args as never, ctx);
      result = typeof out === 'string' ? { content: [{ type: 'text', text: out }] } : out;
    } catch (err) {
      // A modern request's missing client capability answers -32021, not a tool error.
      if (ctx.signal.aborted || err instanceof EscalatedError) throw err;
      const message = err instanceof Error ? err.message : String(err);
      return { content: [{ type: 'text', text: message }], isError: true };
    }
    if (!isObject(result)) {
      throw new JsonRpcError(JSON_RPC_ERRORS.INTERNAL_ERROR, `tool ${name} returned no result`);
    }
    if (tool.outputSchema !== undefined && result.isError !== true) {
      if (!isObject(result.structuredContent)) {
        throw new JsonRpcError(
          JSON_RPC_ERRORS.INTERNAL_ERROR,
          `tool ${name} has an output schema but returned no structuredContent`,
        );
      }
      if (isStandardSchema(tool.outputSchema)) {
        const checked = await tool.outputSchema['~standard'].validate(result.structuredContent);
        if (checked.issues) {
          throw new JsonRpcError(
            JSON_RPC_ERRORS.INTERNAL_ERROR,
            `tool ${name} returned structuredContent that does not match its output schema: ${issuesText(checked.issues)}`,
          );
        }
      }
    }
    // Clients that predate structured output read the text block (spec: SHOULD also serialise).
    if (result.structuredContent !== undefined && result.content === undefined) {
      result = {
        ...result,
        content: [{ type: 'text', text: JSON.stringify(result.structuredContent) }],
      };
    }
    return { content: [], ...result };
  }

  listResources(cursor: unknown, pageSize: number): Record<string, unknown> {
    const { page, nextCursor } = paginate([...this.resources.values()], cursor, pageSize);
    const resources = page.map((r) =>
      pick(r, ['uri', 'name', 'title', 'description', 'icons', 'mimeType', 'size']),
    );
    return nextCursor === undefined ? { resources } : { resources, nextCursor };
  }

  listTemplates(cursor: unknown, pageSize: number): Record<string, unknown> {
    const { page, nextCursor } = paginate(this.templates, cursor, pageSize);
    const resourceTemplates = page.map((t) =>
      pick(t.def, ['uriTemplate', 'name', 'title', 'description', 'icons', 'mimeType']),
    );
    return nextCursor === undefined ? { resourceTemplates } : { resourceTemplates, nextCursor };
  }

  async readResource(params: Record<string, unknown>, ctx: McpContext): Promise<unknown> {
    const uri = params['uri'];
    if (typeof uri !== 'string') {
      throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'params.uri must be a string');
    }
    const fixed = this.resources.get(uri);
    if (fixed) return { contents: normalise(await fixed.read(ctx), uri, fixed.mimeType) };
    for (const t of this.templates) {
      const vars = t.compiled.match(uri);
      if (!vars) continue;
      const out = await t.def.read(uri, vars, ctx);
      if (out === null) continue;
      return { contents: normalise(out, uri, t.def.mimeType) };
    }
    throw new JsonRpcError(JSON_RPC_ERRORS.RESOURCE_NOT_FOUND, `Resource not found: ${uri}`, {
      uri,
    });
  }

  listPrompts(cursor: unknown, pageSize: number): Record<string, unknown> {
    const { page, nextCursor } = paginate([...this.prompts.values()], cursor, pageSize);
    const prompts = page.map((p) =>
      pick(p, ['name', 'title', 'description', 'icons', 'arguments']),
    );
    return nextCursor === undefined ? { prompts } : { prompts, nextCursor };
  }

  async getPrompt(params: Record<string, unknown>, ctx: McpContext): Promise<unknown> {
    const name = params['name'];
    if (typeof name !== 'string') {
      throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, 'params.name must be a string');
    }
    const prompt = this.prompts.get(name);
    if (!prompt) throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, `Unknown prompt: ${name}`);
    const raw = params['arguments'] ?? {};
    if (!isObject(raw) || Object.values(raw).some((v) => typeof v !== 'string')) {
      throw new JsonRpcError(
        JSON_RPC_ERRORS.INVALID_PARAMS,
        'params.arguments must map names to strings',
      );
    }
    const args = raw as Record<string, string>;
    for (const a of prompt.arguments ?? []) {
      if (a.required && args[a.name] === undefined) {
        throw new JsonRpcError(
          JSON_RPC_ERRORS.INVALID_PARAMS,
          `prompt ${name} needs the argument ${a.name}`,
        );
      }
    }
    return await prompt.get(args, ctx);
  }
}

function normalise(
  out: ResourceContents[] | string,
  uri: string,
  mimeType: string | undefined,
): ResourceContents[] {
  if (typeof out !== 'string') return out;
  return [mimeType === undefined ? { uri, text: out } : { uri, mimeType, text: out }];
}

/**
 * Arguments that fail the input schema: a protocol error (-32602) up to 2025-06-18; from
 * 2025-11-25 a tool execution error, so the model sees what was wrong and can retry.
 */
function invalidArguments(ctx: McpContext, message: string): ToolResult {
  if (ctx.protocolVersion < '2025-11-25') {
    throw new JsonRpcError(JSON_RPC_ERRORS.INVALID_PARAMS, message);
  }
  return { content: [{ type: 'text', text: message }], isError: true };
}
