import type { MaybePromise, Request } from '@rws/core';
import type { RequestId } from './json-rpc.js';

/** A JSON Schema object, as MCP carries it (`inputSchema`, `outputSchema`). */
export type JsonSchema = Record<string, unknown>;

/**
 * Standard Schema v1 (https://standardschema.dev), declared locally so @rws/mcp depends on
 * no validator. zod ≥ 4.2 also carries `~standard.jsonSchema`, which MCP needs to list tools.
 */
export interface StandardSchemaV1<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => StandardResult<Output> | Promise<StandardResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
    readonly jsonSchema?:
      | { readonly input: (options: { readonly target: string }) => Record<string, unknown> }
      | undefined;
  };
}

/** The result of a Standard Schema `validate`. */
export type StandardResult<Output> =
  | { readonly value: Output; readonly issues?: undefined }
  | {
      readonly issues: ReadonlyArray<{
        readonly message: string;
        readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }> | undefined;
      }>;
    };

/**
 * An icon a client may show for the server, a tool, resource, template or prompt (MCP
 * 2025-11-25 `Icon`): an http(s) URL or a `data:` URI; `sizes` like `48x48` or `any`.
 */
export interface Icon {
  src: string;
  mimeType?: string;
  sizes?: string[];
  theme?: 'light' | 'dark';
}

/** Log levels of `notifications/message`, RFC 5424 order. */
export type LogLevel =
  | 'debug'
  | 'info'
  | 'notice'
  | 'warning'
  | 'error'
  | 'critical'
  | 'alert'
  | 'emergency';

/** What a client said about itself in `initialize`. */
export interface ClientInfo {
  readonly name: string;
  readonly version: string;
  readonly [key: string]: unknown;
}

/**
 * Who a bearer token belongs to, as `auth.verify` returns it. `subject` binds the sessions the
 * token opens: a request of another subject with that `Mcp-Session-Id` gets 404.
 */
export interface AuthInfo {
  readonly subject?: string;
  /** Granted scopes, checked against `auth.requiredScopes`. */
  readonly scopes?: readonly string[];
  readonly clientId?: string;
  /** Anything else the verifier knows (JWT claims, the token's expiry, …). */
  readonly claims?: Readonly<Record<string, unknown>>;
}

/**
 * `elicitation/create` params. Form mode (MCP 2025-06-18, the default): a message and a flat
 * object schema. URL mode (2025-11-25): the client opens `url` for the user, for what must not
 * pass through it (credentials, payment); `elicitationId` names the interaction until 2025-11-25
 * (2026-07-28 dropped it: the retry itself says the interaction is over).
 */
export type ElicitParams =
  | {
      mode?: 'form';
      message: string;
      requestedSchema: JsonSchema;
      [key: string]: unknown;
    }
  | {
      mode: 'url';
      message: string;
      url: string;
      elicitationId?: string;
      [key: string]: unknown;
    };

/** The user's answer to an elicitation. `content` is present when `action` is `accept`. */
export interface ElicitResult {
  action: 'accept' | 'decline' | 'cancel';
  content?: Record<string, unknown>;
  [key: string]: unknown;
}

/** A message of `sampling/createMessage`; with tools (2025-11-25) content may be a list. */
export interface SamplingMessage {
  role: 'user' | 'assistant';
  content: SamplingContent | SamplingContent[];
}

/**
 * Sampling content: a content block, or (tool calling in sampling, 2025-11-25) the model's
 * `tool_use` and the `tool_result` the server sends back in the next request.
 */
export type SamplingContent =
  | ContentBlock
  | {
      type: 'tool_use';
      id: string;
      name: string;
      input: Record<string, unknown>;
      [key: string]: unknown;
    }
  | {
      type: 'tool_result';
      toolUseId: string;
      content: ContentBlock[];
      structuredContent?: Record<string, unknown>;
      isError?: boolean;
      [key: string]: unknown;
    };

/** A tool the client's model may call during sampling (2025-11-25; `Tool` shape). */
export interface SamplingTool {
  name: string;
  description?: string;
  inputSchema: JsonSchema;
  [key: string]: unknown;
}

/** `sampling/createMessage` params: ask the client's model for a completion. */
export interface SamplingParams {
  messages: SamplingMessage[];
  maxTokens: number;
  systemPrompt?: string;
  temperature?: number;
  stopSequences?: string[];
  modelPreferences?: Record<string, unknown>;
  includeContext?: 'none' | 'thisServer' | 'allServers';
  /** Tools the model may call (2025-11-25); needs the client's `sampling.tools` capability. */
  tools?: SamplingTool[];
  /** `{ mode: 'auto' | 'required' | 'none' }`; needs `sampling.tools` too. */
  toolChoice?: { mode?: 'auto' | 'required' | 'none'; [key: string]: unknown };
  [key: string]: unknown;
}

/** What the client's model answered. */
export interface SamplingResult {
  role: 'user' | 'assistant';
  content: ContentBlock;
  model: string;
  stopReason?: string;
  [key: string]: unknown;
}

/**
 * What the client's model answered to a request with `tools`: content may be a list, with
 * `tool_use` blocks when `stopReason` is `toolUse`.
 */
export interface SamplingToolsResult {
  role: 'user' | 'assistant';
  content: SamplingContent | SamplingContent[];
  model: string;
  stopReason?: string;
  [key: string]: unknown;
}

/** A root the client exposes (`roots/list`). */
export interface Root {
  uri: string;
  name?: string;
  [key: string]: unknown;
}

/** Options of a server-to-client request. */
export interface ClientRequestOptions {
  /** Give up (and reject) after this long. Default 5 min. */
  timeoutMs?: number;
}

/** What every tool, resource and prompt handler receives besides its arguments. */
export interface McpContext {
  /** The `Mcp-Session-Id` of the session the request belongs to. */
  readonly sessionId: string;
  /** The negotiated protocol revision, e.g. `2025-06-18`. */
  readonly protocolVersion: string;
  /** The client's `clientInfo` from `initialize`. */
  readonly clientInfo: ClientInfo | null;
  /** The JSON-RPC id of the request. */
  readonly requestId: RequestId;
  /** The request's `_meta`, if any. */
  readonly meta: Readonly<Record<string, unknown>> | undefined;
  /**
   * Aborts when the client sends `notifications/cancelled` for this request, or the session
   * ends (DELETE, expiry, `close()`). A dropped connection is not a cancellation (spec).
   */
  readonly signal: AbortSignal;
  /** The HTTP request that carried the message: headers, auth state set by middleware. */
  readonly httpRequest: Request;
  /**
   * Sends `notifications/progress` when the client asked for progress (a `progressToken` in
   * `_meta`); does nothing otherwise. `progress` must grow from call to call.
   */
  progress(progress: number, total?: number, message?: string): void;
  /** Sends `notifications/message` when `level` is at or above the session's `logging/setLevel`. */
  log(level: LogLevel, data: unknown, logger?: string): void;
  /** What `auth.verify` returned for the request's bearer token; null without `auth`. */
  readonly auth: AuthInfo | null;
  /** The capabilities the client declared in `initialize` (`elicitation`, `sampling`, `roots`). */
  readonly clientCapabilities: Readonly<Record<string, unknown>>;
  /**
   * Asks the user for input through the client (`elicitation/create`). The request travels on
   * this request's SSE stream; the promise settles with the client's answer. Rejects when the
   * client did not declare `elicitation`, answers with an error, the request is cancelled or
   * the timeout passes.
   */
  elicit(params: ElicitParams, options?: ClientRequestOptions): Promise<ElicitResult>;
  /** Asks the client's model for a message (`sampling/createMessage`); as `elicit`. */
  createMessage(
    params: SamplingParams & { tools?: undefined; toolChoice?: undefined },
    options?: ClientRequestOptions,
  ): Promise<SamplingResult>;
  /**
   * Sampling with tools (2025-11-25): the model may answer with `tool_use` blocks; run them and
   * call again with the `tool_result`s. Needs the client's `sampling.tools` capability.
   */
  createMessage(
    params: SamplingParams,
    options?: ClientRequestOptions,
  ): Promise<SamplingToolsResult>;
  /** The client's roots (`roots/list`); as `elicit`. */
  listRoots(options?: ClientRequestOptions): Promise<{ roots: Root[] }>;
  /**
   * Ends this request's SSE response now while the request goes on (2025-11-25 "polling",
   * SEP-1699): the client reconnects after `retryMs` (default 1000) with GET and
   * `Last-Event-ID` and gets the rest, the result included, from the event store. A request
   * answered with JSON turns into SSE first. False, and nothing happens, below 2025-11-25, in
   * stateless mode or without an event store.
   */
  closeSseStream(retryMs?: number): boolean;
}

/** What a completer answers: candidate values, at most 100 are sent. */
export interface CompletionResult {
  values: string[];
  total?: number;
  hasMore?: boolean;
}

/**
 * Suggests values for one prompt argument or URI template variable (`completion/complete`),
 * given what the user typed so far and the arguments already filled in.
 */
export type Completer = (
  value: string,
  context: { readonly arguments: Readonly<Record<string, string>>; readonly ctx: McpContext },
) => MaybePromise<readonly string[] | CompletionResult>;

/** A content block of a tool result or prompt message. */
export type ContentBlock =
  | { type: 'text'; text: string; [key: string]: unknown }
  | { type: 'image'; data: string; mimeType: string; [key: string]: unknown }
  | { type: 'audio'; data: string; mimeType: string; [key: string]: unknown }
  | { type: 'resource_link'; uri: string; name: string; [key: string]: unknown }
  | { type: 'resource'; resource: ResourceContents; [key: string]: unknown };

/** What `tools/call` answers. */
export interface ToolResult {
  content?: ContentBlock[];
  structuredContent?: Record<string, unknown>;
  /** True for a failure of the tool itself, which the model should see (not a protocol error). */
  isError?: boolean;
  [key: string]: unknown;
}

/** Hints about a tool's behaviour (untrusted by clients; MCP 2025-06-18). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** A tool. `inputSchema` is a JSON Schema (object type) or a Standard Schema. */
export interface ToolDefinition<Args = Record<string, unknown>> {
  name: string;
  title?: string;
  description?: string;
  /** Shown by clients that render icons (2025-11-25). */
  icons?: Icon[];
  inputSchema?: JsonSchema | StandardSchemaV1<unknown, Args>;
  /** When set, results must carry `structuredContent` matching it. */
  outputSchema?: JsonSchema | StandardSchemaV1;
  annotations?: ToolAnnotations;
  /**
   * Task-augmented execution (2025-11-25 tasks, sessions only): `optional` lets a client run
   * the call as a task (`params.task`), `required` makes it the only way; default `forbidden`.
   */
  execution?: { taskSupport?: 'forbidden' | 'optional' | 'required' };
  /**
   * Runs the tool. A string is shorthand for one text block; a thrown error becomes a result
   * with `isError: true` and the message as text.
   */
  handler: (args: Args, ctx: McpContext) => MaybePromise<ToolResult | string>;
}

/** One item of `resources/read`. */
export type ResourceContents =
  | { uri: string; mimeType?: string; text: string; [key: string]: unknown }
  | { uri: string; mimeType?: string; blob: string; [key: string]: unknown };

/** What a resource reader may return: contents, or a string (text of the resource's type). */
export type ResourceReadResult = ResourceContents[] | string;

/** A fixed resource. */
export interface ResourceDefinition {
  uri: string;
  name: string;
  title?: string;
  description?: string;
  /** Shown by clients that render icons (2025-11-25). */
  icons?: Icon[];
  mimeType?: string;
  size?: number;
  read: (ctx: McpContext) => MaybePromise<ResourceReadResult>;
}

/** A family of resources named by a URI template (`{var}`, `{+var}`). */
export interface ResourceTemplateDefinition {
  uriTemplate: string;
  name: string;
  title?: string;
  description?: string;
  /** Shown by clients that render icons (2025-11-25). */
  icons?: Icon[];
  mimeType?: string;
  read: (
    uri: string,
    variables: Record<string, string>,
    ctx: McpContext,
  ) => MaybePromise<ResourceReadResult | null>;
  /** Completers of the template's variables, by variable name. */
  complete?: Readonly<Record<string, Completer>>;
}

/** One argument of a prompt. */
export interface PromptArgument {
  name: string;
  description?: string;
  required?: boolean;
}

/** A message of `prompts/get`. */
export interface PromptMessage {
  role: 'user' | 'assistant';
  content: ContentBlock;
}

/** A prompt template. */
export interface PromptDefinition {
  name: string;
  title?: string;
  description?: string;
  /** Shown by clients that render icons (2025-11-25). */
  icons?: Icon[];
  arguments?: PromptArgument[];
  get: (
    args: Record<string, string>,
    ctx: McpContext,
  ) => MaybePromise<{ description?: string; messages: PromptMessage[] }>;
  /** Completers of the prompt's arguments, by argument name. */
  complete?: Readonly<Record<string, Completer>>;
}
