import { RwsError } from '@rws/core';

/**
 * Every error code @rws/mcp throws. docs/errors.md lists the same codes; a test keeps the two
 * in step. Errors a client causes are not thrown: they are answered as JSON-RPC errors.
 */
export const ERROR_CODES = {
  INVALID_DEFINITION: 'RWS_MCP_INVALID_DEFINITION',
  DUPLICATE: 'RWS_MCP_DUPLICATE',
  INVALID_OPTIONS: 'RWS_MCP_INVALID_OPTIONS',
  CLIENT_CAPABILITY_MISSING: 'RWS_MCP_CLIENT_CAPABILITY_MISSING',
  CLIENT_REQUEST_FAILED: 'RWS_MCP_CLIENT_REQUEST_FAILED',
  URL_ELICITATION_REQUIRED: 'RWS_MCP_URL_ELICITATION_REQUIRED',
} as const;

/** A code @rws/mcp throws. */
export type McpErrorCode = (typeof ERROR_CODES)[keyof typeof ERROR_CODES];

/** One line per code: what went wrong. */
export const ERROR_DESCRIPTIONS: Readonly<Record<McpErrorCode, string>> = {
  RWS_MCP_INVALID_DEFINITION:
    'A tool, resource, resource template or prompt definition is invalid (empty name, bad URI template, missing handler); the message names it.',
  RWS_MCP_DUPLICATE:
    'A tool, prompt, resource URI or resource template name is registered twice on one server.',
  RWS_MCP_INVALID_OPTIONS:
    'createMcpServer options are invalid (empty name or version, a non-positive pageSize, sessionIdleTimeoutMs, maxBodyBytes or maxSessions, a negative eventHistory, an auth option without verify, an absolute resource URL or an authorization server).',
  RWS_MCP_CLIENT_CAPABILITY_MISSING:
    'A handler called ctx.elicit, ctx.createMessage or ctx.listRoots, but the client did not declare the elicitation, sampling or roots capability in initialize.',
  RWS_MCP_CLIENT_REQUEST_FAILED:
    'A request this server sent to the client (elicitation, sampling, roots) was answered with a JSON-RPC error or got no answer within its timeout; the message names which.',
  RWS_MCP_URL_ELICITATION_REQUIRED:
    'Thrown by a handler (urlElicitationRequired()): the request needs the user to complete URL-mode elicitations first; the client gets URLElicitationRequiredError (-32042) up to 2025-11-25, an InputRequiredResult in 2026-07-28.',
};

/**
 * The error @rws/mcp throws for a programming mistake at registration, and rejects a
 * server-to-client request with (`ctx.elicit`, `ctx.createMessage`, `ctx.listRoots`).
 */
export class McpError extends RwsError {
  constructor(code: McpErrorCode, message: string) {
    super(code, message);
    this.name = 'McpError';
  }
}
