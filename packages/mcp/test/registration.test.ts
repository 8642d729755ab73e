import { isRwsError } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { classifyMessage, createMcpServer } from '../src/index.js';

function code(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return isRwsError(err) ? err.code : 'not an RwsError';
  }
  return undefined;
}

describe('registration mistakes throw at once', () => {
  it('options', () => {
    expect(code(() => createMcpServer({ name: '', version: '1' }))).toBe('RWS_MCP_INVALID_OPTIONS');
    expect(code(() => createMcpServer({ name: 'a', version: '1', pageSize: 0 }))).toBe(
      'RWS_MCP_INVALID_OPTIONS',
    );
  });

  it('definitions and duplicates', () => {
    const mcp = createMcpServer({ name: 'a', version: '1' });
    try {
      mcp.tool({ name: 't', handler: () => 'x' });
      expect(code(() => mcp.tool({ name: 't', handler: () => 'y' }))).toBe('RWS_MCP_DUPLICATE');
      expect(code(() => mcp.tool({ name: '', handler: () => 'y' }))).toBe(
        'RWS_MCP_INVALID_DEFINITION',
      );
      expect(code(() => mcp.resource({ uri: 'no-scheme', name: 'r', read: () => '' }))).toBe(
        'RWS_MCP_INVALID_DEFINITION',
      );
      expect(
        code(() => mcp.resourceTemplate({ uriTemplate: 'x://{a', name: 'r', read: () => '' })),
      ).toBe('RWS_MCP_INVALID_DEFINITION');
      expect(
        code(() => mcp.resourceTemplate({ uriTemplate: 'x://fixed', name: 'r', read: () => '' })),
      ).toBe('RWS_MCP_INVALID_DEFINITION');
    } finally {
      mcp.close();
    }
  });
});

describe('classifyMessage', () => {
  it('tells requests, notifications and responses apart', () => {
    expect(classifyMessage({ jsonrpc: '2.0', id: 'a', method: 'm' }).kind).toBe('request');
    expect(classifyMessage({ jsonrpc: '2.0', method: 'm' }).kind).toBe('notification');
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, result: null }).kind).toBe('response');
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, error: { code: -1, message: 'x' } }).kind).toBe(
      'response',
    );
    expect(classifyMessage({ jsonrpc: '2.0', id: 1, result: 1, error: {} })).toEqual({
      kind: 'invalid',
      id: 1,
      error: {
        code: -32600,
        message: 'a message needs a method, or exactly one of result and error',
      },
    });
    expect(
      classifyMessage({ jsonrpc: '2.0', id: 1, error: { code: 'x', message: 'y' } }).kind,
    ).toBe('invalid');
  });
});
