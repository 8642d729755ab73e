import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { TaskStatusNotificationSchema } from '@modelcontextprotocol/sdk/types.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer, type McpServer } from '../src/index.js';
import { listenMcp } from './fixture.js';

let mcp: McpServer;
let url: URL;
let close: () => Promise<void>;
let release!: () => void;
let aborted: Promise<string>;
beforeAll(async () => {
  mcp = createMcpServer({ name: 'tasks', version: '1.0.0' });
  let onAborted!: (reason: string) => void;
  aborted = new Promise((r) => {
    onAborted = r;
  });
  const gate = new Promise<void>((r) => {
    release = r;
  });
  mcp
    .tool({
      name: 'report',
      execution: { taskSupport: 'optional' },
      handler: async (args) => {
        await gate; // runs on after the call answered with the task
        return { structuredContent: { rows: Number(args['rows'] ?? 0) } };
      },
    })
    .tool({
      name: 'export',
      execution: { taskSupport: 'required' },
      handler: (_args, ctx) =>
        new Promise((_resolve, reject) => {
          ctx.signal.addEventListener('abort', () => {
            onAborted(String((ctx.signal.reason as Error).message));
            reject(ctx.signal.reason);
          });
        }),
    })
    .tool({ name: 'quick', handler: () => 'quick' })
    .tool({
      name: 'flaky',
      execution: { taskSupport: 'optional' },
      handler: () => {
        throw new Error('the upstream is down');
      },
    });
  ({ url, close } = await listenMcp(mcp));
});
afterAll(() => close());

async function connect(): Promise<Client> {
  const client = new Client({ name: 'sdk', version: '1' });
  await client.connect(new StreamableHTTPClientTransport(url));
  return client;
}

describe('tasks, 2025-11-25 (issue #19)', () => {
  it('runs a tool as a task the SDK client polls to its result', async () => {
    const client = await connect();
    expect(client.getServerCapabilities()?.tasks).toEqual({
      list: {},
      cancel: {},
      requests: { tools: { call: {} } },
    });
    const tools = (await client.listTools()).tools;
    expect(tools.find((t) => t.name === 'export')?.execution).toEqual({ taskSupport: 'required' });

    const statuses: string[] = [];
    client.setNotificationHandler(TaskStatusNotificationSchema, (n) => {
      statuses.push(n.params.status);
    });
    const kinds: string[] = [];
    let taskId = '';
    let result: unknown = null;
    setTimeout(() => release(), 300);
    for await (const message of client.experimental.tasks.callToolStream(
      { name: 'report', arguments: { rows: 7 } },
      undefined,
      { task: { ttl: 60_000 } },
    )) {
      kinds.push(message.type);
      if (message.type === 'taskCreated') taskId = message.task.taskId;
      if (message.type === 'result') result = message.result;
      if (message.type === 'error') throw message.error;
    }
    expect(kinds[0]).toBe('taskCreated');
    expect(kinds.at(-1)).toBe('result');
    expect(result).toMatchObject({
      structuredContent: { rows: 7 },
      _meta: { 'io.modelcontextprotocol/related-task': { taskId } },
    });
    const task = await client.experimental.tasks.getTask(taskId);
    expect(task).toMatchObject({ taskId, status: 'completed', ttl: 60_000 });
    expect((await client.experimental.tasks.listTasks()).tasks.map((t) => t.taskId)).toContain(
      taskId,
    );
    await expect.poll(() => statuses).toContain('completed');

    // Another session does not see the task.
    const other = await connect();
    await expect(other.experimental.tasks.getTask(taskId)).rejects.toThrow(/Task not found/);
    await other.close();
    await client.close();
  });

  it('enforces taskSupport, fails with the tool error, and cancels', async () => {
    const client = await connect();
    // required without a task, forbidden with one: -32601.
    await expect(client.callTool({ name: 'export', arguments: {} })).rejects.toThrow(
      /must be called as a task/,
    );
    await expect(
      client.request(
        { method: 'tools/call', params: { name: 'quick', arguments: {}, task: {} } },
        (await import('@modelcontextprotocol/sdk/types.js')).CreateTaskResultSchema,
      ),
    ).rejects.toThrow(/does not support task-augmented execution/);

    const failed: string[] = [];
    for await (const m of client.experimental.tasks.callToolStream(
      { name: 'flaky', arguments: {} },
      undefined,
      { task: {} },
    )) {
      if (m.type === 'taskStatus') failed.push(m.task.status);
      if (m.type === 'error') failed.push('error');
    }
    expect(failed).toContain('failed');

    const stream = client.experimental.tasks.callToolStream(
      { name: 'export', arguments: {} },
      undefined,
      { task: {} },
    );
    const first = await stream.next();
    expect(first.value?.type).toBe('taskCreated');
    const id = (first.value as { task: { taskId: string } }).task.taskId;
    const cancelled = await client.experimental.tasks.cancelTask(id);
    expect(cancelled.status).toBe('cancelled');
    await expect(aborted).resolves.toBe('task cancelled by the client');
    await expect(client.experimental.tasks.cancelTask(id)).rejects.toThrow(/already cancelled/);
    await stream.return(undefined);
    await client.close();
  });
});
