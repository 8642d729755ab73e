/**
 * JSON-RPC 2.0 (https://www.jsonrpc.org/specification) as MCP uses it: ids are strings or
 * integers (never null in a request, MCP 2025-06-18 "Base protocol"), `params` is an object.
 */

/** Standard JSON-RPC error codes, and the MCP ones. */
export const JSON_RPC_ERRORS = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  /** MCP: `resources/read` of a URI the server does not have. */
  RESOURCE_NOT_FOUND: -32002,
  /** Transport-level failures the SDKs also answer with -32000 (bad session, bad headers). */
  SERVER_ERROR: -32000,
  /** MCP 2026-07-28: HTTP headers missing, malformed or not matching the body. */
  HEADER_MISMATCH: -32020,
  /** MCP 2026-07-28: the request needs a client capability its `_meta` did not declare. */
  MISSING_REQUIRED_CLIENT_CAPABILITY: -32021,
  /** MCP 2026-07-28: the request's protocol version is not served. */
  UNSUPPORTED_PROTOCOL_VERSION: -32022,
  /** MCP 2025-11-25: the request needs URL-mode elicitation first (`URLElicitationRequiredError`). */
  URL_ELICITATION_REQUIRED: -32042,
} as const;

/** A request or notification id. */
export type RequestId = string | number;

export interface JsonRpcRequest {
  jsonrpc: '2.0';
  id: RequestId;
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcNotification {
  jsonrpc: '2.0';
  method: string;
  params?: Record<string, unknown>;
}

export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface JsonRpcResponse {
  jsonrpc: '2.0';
  id: RequestId | null;
  result?: unknown;
  error?: JsonRpcErrorObject;
}

/** One incoming message, classified; `invalid` carries the error answer to send. */
export type IncomingMessage =
  | { kind: 'request'; message: JsonRpcRequest }
  | { kind: 'notification'; message: JsonRpcNotification }
  | { kind: 'response'; message: JsonRpcResponse }
  | { kind: 'invalid'; id: RequestId | null; error: JsonRpcErrorObject };

/** An error a method handler throws to answer with a specific JSON-RPC error. */
export class JsonRpcError extends Error {
  readonly code: number;
  readonly data: unknown;
  constructor(code: number, message: string, data?: unknown) {
    super(message);
    this.name = 'JsonRpcError';
    this.code = code;
    this.data = data;
  }
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isId(v: unknown): v is RequestId {
  return typeof v === 'string' || (typeof v === 'number' && Number.isSafeInteger(v));
}

function invalid(id: unknown, message: string): IncomingMessage {
  return {
    kind: 'invalid',
    id: isId(id) ? id : null,
    error: { code: JSON_RPC_ERRORS.INVALID_REQUEST, message },
  };
}

/**
 * Validates one parsed message strictly: `jsonrpc` must be "2.0", the id a string or integer,
 * `method` a non-empty string, `params` an object when present, a response exactly one of
 * `result` and `error`. Unknown members are tolerated (JSON-RPC allows extensions).
 */
export function classifyMessage(value: unknown): IncomingMessage {
  if (!isObject(value)) return invalid(null, 'a JSON-RPC message must be an object');
  const id = value['id'];
  if (value['jsonrpc'] !== '2.0') return invalid(id, 'jsonrpc must be "2.0"');
  if ('method' in value) {
    const method = value['method'];
    if (typeof method !== 'string' || method === '') {
      return invalid(id, 'method must be a non-empty string');
    }
    const params = value['params'];
    if (params !== undefined && !isObject(params)) {
      return invalid(id, 'params must be an object');
    }
    if (!('id' in value)) {
      const message: JsonRpcNotification = { jsonrpc: '2.0', method };
      if (params !== undefined) message.params = params;
      return { kind: 'notification', message };
    }
    if (!isId(id)) return invalid(null, 'id must be a string or an integer');
    const message: JsonRpcRequest = { jsonrpc: '2.0', id, method };
    if (params !== undefined) message.params = params;
    return { kind: 'request', message };
  }
  const hasResult = 'result' in value;
  const hasError = 'error' in value;
  if (hasResult === hasError) {
    return invalid(id, 'a message needs a method, or exactly one of result and error');
  }
  if (!isId(id)) return invalid(null, 'a response id must be a string or an integer');
  if (hasError) {
    const error = value['error'];
    if (
      !isObject(error) ||
      !Number.isInteger(error['code']) ||
      typeof error['message'] !== 'string'
    ) {
      return invalid(id, 'error must be an object with an integer code and a string message');
    }
    return {
      kind: 'response',
      message: { jsonrpc: '2.0', id, error: error as unknown as JsonRpcErrorObject },
    };
  }
  return { kind: 'response', message: { jsonrpc: '2.0', id, result: value['result'] } };
}

/** A success response. */
export function resultResponse(id: RequestId, result: unknown): JsonRpcResponse {
  return { jsonrpc: '2.0', id, result };
}

/** An error response. */
export function errorResponse(
  id: RequestId | null,
  code: number,
  message: string,
  data?: unknown,
): JsonRpcResponse {
  const error: JsonRpcErrorObject = { code, message };
  if (data !== undefined) error.data = data;
  return { jsonrpc: '2.0', id, error };
}
