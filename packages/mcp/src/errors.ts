import { RwsError } from '@rws/core';

/**
 * Every error code @rws/mcp throws. docs/errors.md lists the same codes; a test keeps the two
 * in step. Errors a client causes are not thrown: they are answered as JSON-RPC errors.
 */
export const ERROR_CODES = {
  INVALID_DEFINITION: 'RWS_MCP_INVALID_DEFINITION',
  DUPLICATE: 'RWS_MCP_DUPLICATE',
  INVALID_OPTIONS: 'RWS_MCP_INVALID_OPTIONS',
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
    'createMcpServer options are invalid (empty name or version, a non-positive pageSize, sessionIdleTimeoutMs, maxBodyBytes or maxSessions, a negative eventHistory).',
};

/** The error @rws/mcp throws for a programming mistake at registration. */
export class McpError extends RwsError {
  constructor(code: McpErrorCode, message: string) {
    super(code, message);
    this.name = 'McpError';
  }
}
