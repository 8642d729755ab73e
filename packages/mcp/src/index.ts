/** @module */

export type { McpAuthOptions, McpServer, McpServerOptions } from './create-mcp-server.js';
export { createMcpServer, SUPPORTED_PROTOCOL_VERSIONS } from './create-mcp-server.js';
export type { McpErrorCode } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS, McpError } from './errors.js';
export type { McpEventStore, MemoryEventStoreOptions, StoredEvent } from './event-store.js';
export { createMemoryEventStore } from './event-store.js';
export type { UrlElicitation, UrlElicitationRequiredError } from './internal/mrtr.js';
export { urlElicitationRequired } from './internal/mrtr.js';
export type {
  IncomingMessage,
  JsonRpcErrorObject,
  JsonRpcNotification,
  JsonRpcRequest,
  JsonRpcResponse,
  RequestId,
} from './json-rpc.js';
export { classifyMessage, JSON_RPC_ERRORS, JsonRpcError } from './json-rpc.js';
export type {
  AuthInfo,
  ClientInfo,
  ClientRequestOptions,
  Completer,
  CompletionResult,
  ContentBlock,
  ElicitParams,
  ElicitResult,
  Icon,
  JsonSchema,
  LogLevel,
  McpContext,
  PromptArgument,
  PromptDefinition,
  PromptMessage,
  ResourceContents,
  ResourceDefinition,
  ResourceReadResult,
  ResourceTemplateDefinition,
  Root,
  SamplingContent,
  SamplingMessage,
  SamplingParams,
  SamplingResult,
  SamplingTool,
  SamplingToolsResult,
  StandardResult,
  StandardSchemaV1,
  ToolAnnotations,
  ToolDefinition,
  ToolResult,
} from './types.js';
