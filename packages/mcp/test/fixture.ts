import { createServer, type Http1Server } from '@rws/http1';
import { createApp } from '@rws/router';
import { z } from 'zod';
import { createMcpServer, type McpServer, type McpServerOptions } from '../src/index.js';

export interface Served {
  mcp: McpServer;
  server: Http1Server;
  url: string;
  /** Resolves with the abort reason when the `wait` tool's signal aborts. */
  waitAborted: Promise<string>;
  /** Resolves when the `wait` tool has started. */
  waitStarted: Promise<void>;
  close(): Promise<void>;
}

/** An MCP server with a few of every feature, mounted at /mcp on an App over @rws/http1. */
export async function serve(options: Partial<McpServerOptions> = {}): Promise<Served> {
  const mcp = createMcpServer({ name: 'test-server', version: '1.2.3', pageSize: 3, ...options });
  let onAborted!: (reason: string) => void;
  const waitAborted = new Promise<string>((r) => {
    onAborted = r;
  });
  let onStarted!: () => void;
  const waitStarted = new Promise<void>((r) => {
    onStarted = r;
  });
  mcp
    .tool({
      name: 'add',
      description: 'Adds two numbers',
      inputSchema: z.object({ a: z.number(), b: z.number() }),
      outputSchema: z.object({ sum: z.number() }),
      annotations: { readOnlyHint: true, idempotentHint: true },
      handler: ({ a, b }) => ({ structuredContent: { sum: a + b } }),
    })
    .tool({
      name: 'echo',
      inputSchema: {
        type: 'object',
        properties: { text: { type: 'string' } },
        required: ['text'],
      },
      handler: (args) => `echo: ${String(args['text'])}`,
    })
    .tool({
      name: 'fail',
      handler: () => {
        throw new Error('the disk is full');
      },
    })
    .tool({
      name: 'broken',
      outputSchema: { type: 'object' },
      handler: () => ({ content: [] }),
    })
    .tool({
      name: 'count',
      description: 'Counts to `to`, reporting progress and logging each step',
      inputSchema: z.object({ to: z.number().int().min(1).max(20) }),
      handler: async ({ to }, ctx) => {
        for (let i = 1; i <= to; i++) {
          await new Promise((r) => setTimeout(r, 5));
          ctx.progress(i, to, `step ${i}`);
          ctx.log(i === to ? 'info' : 'debug', { step: i }, 'count');
        }
        return `counted to ${to}`;
      },
    })
    .tool({
      name: 'wait',
      handler: (_args, ctx) =>
        new Promise((_resolve, reject) => {
          onStarted();
          ctx.signal.addEventListener('abort', () => {
            const reason = ctx.signal.reason;
            onAborted(reason instanceof Error ? reason.message : String(reason));
            reject(reason);
          });
        }),
    })
    .resource({
      uri: 'config://app',
      name: 'app-config',
      mimeType: 'application/json',
      read: () => JSON.stringify({ debug: false }),
    })
    .resourceTemplate({
      uriTemplate: 'users://{id}/profile',
      name: 'user-profile',
      mimeType: 'text/plain',
      read: (_uri, { id }) => (id === 'ghost' ? null : `profile of ${id}`),
    })
    .prompt({
      name: 'greet',
      description: 'Greets someone',
      arguments: [{ name: 'name', required: true }],
      get: ({ name }) => ({
        messages: [{ role: 'user', content: { type: 'text', text: `Say hello to ${name}` } }],
      }),
    });
  const app = createApp();
  app.all('/mcp', mcp.handler);
  const server = createServer(app.handler);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    mcp,
    server,
    url: `http://127.0.0.1:${port}/mcp`,
    waitAborted,
    waitStarted,
    async close() {
      mcp.close();
      await server.close({ graceMs: 100 });
    },
  };
}

/** Serves `mcp` at /mcp on a loopback port; `close` ends its sessions and the listener. */
export async function listenMcp(mcp: McpServer): Promise<{ url: URL; close(): Promise<void> }> {
  const app = createApp();
  app.all('/mcp', mcp.handler);
  const server = createServer(app.handler);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    url: new URL(`http://127.0.0.1:${port}/mcp`),
    async close() {
      mcp.close();
      await server.close({ graceMs: 100 });
    },
  };
}
