/**
 * mcp-everything — the "everything" server of the official MCP conformance suite
 * (`@modelcontextprotocol/conformance`): the tools, resources and prompts its server
 * scenarios call by name, on `@rws/mcp`. packages/mcp/test/conformance.test.ts runs the suite
 * against it.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/mcp-everything.ts
 * then, from the repository root:
 *   npx pnpm@10.34.8 --filter @rws/mcp conformance
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { createServer } from '@rws/http1';
import { createMcpServer } from '@rws/mcp';
import { createApp } from '@rws/router';

/** A 1×1 red PNG. */
const PNG =
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8DwHwAFBQIAX8jx0gAAAABJRU5ErkJggg==';

/** A WAV file of 8 silent 8-bit mono samples at 8 kHz. */
function silentWav(): string {
  const samples = 8;
  const b = Buffer.alloc(44 + samples, 0x80);
  b.write('RIFF', 0);
  b.writeUInt32LE(36 + samples, 4);
  b.write('WAVEfmt ', 8);
  b.writeUInt32LE(16, 16); // fmt chunk size
  b.writeUInt16LE(1, 20); // PCM
  b.writeUInt16LE(1, 22); // mono
  b.writeUInt32LE(8000, 24); // sample rate
  b.writeUInt32LE(8000, 28); // byte rate
  b.writeUInt16LE(1, 32); // block align
  b.writeUInt16LE(8, 34); // bits per sample
  b.write('data', 36);
  b.writeUInt32LE(samples, 40);
  return b.toString('base64');
}

const noArgs = { type: 'object', properties: {} } as const;
const mcp = createMcpServer({ name: 'rws-everything', version: '1.0.0' });

mcp
  .tool({
    name: 'test_simple_text',
    description: 'Returns simple text',
    inputSchema: noArgs,
    handler: () => 'This is a simple text response for testing.',
  })
  .tool({
    name: 'test_image_content',
    description: 'Returns an image',
    inputSchema: noArgs,
    handler: () => ({ content: [{ type: 'image', data: PNG, mimeType: 'image/png' }] }),
  })
  .tool({
    name: 'test_audio_content',
    description: 'Returns audio',
    inputSchema: noArgs,
    handler: () => ({ content: [{ type: 'audio', data: silentWav(), mimeType: 'audio/wav' }] }),
  })
  .tool({
    name: 'test_embedded_resource',
    description: 'Returns an embedded resource',
    inputSchema: noArgs,
    handler: () => ({
      content: [
        {
          type: 'resource',
          resource: {
            uri: 'test://embedded-resource',
            mimeType: 'text/plain',
            text: 'This is an embedded resource content.',
          },
        },
      ],
    }),
  })
  .tool({
    name: 'test_multiple_content_types',
    description: 'Returns text, an image and a resource',
    inputSchema: noArgs,
    handler: () => ({
      content: [
        { type: 'text', text: 'Multiple content types test:' },
        { type: 'image', data: PNG, mimeType: 'image/png' },
        {
          type: 'resource',
          resource: {
            uri: 'test://mixed-content-resource',
            mimeType: 'application/json',
            text: JSON.stringify({ test: 'data', value: 123 }),
          },
        },
      ],
    }),
  })
  .tool({
    name: 'test_tool_with_logging',
    description: 'Logs three messages while it runs',
    inputSchema: noArgs,
    handler: async (_args, ctx) => {
      ctx.log('info', 'Tool execution started');
      await sleep(50);
      ctx.log('info', 'Tool processing data');
      await sleep(50);
      ctx.log('info', 'Tool execution completed');
      return 'Logging tool finished';
    },
  })
  .tool({
    name: 'test_tool_with_progress',
    description: 'Reports progress 0, 50, 100 of 100',
    inputSchema: noArgs,
    handler: async (_args, ctx) => {
      ctx.progress(0, 100);
      await sleep(50);
      ctx.progress(50, 100);
      await sleep(50);
      ctx.progress(100, 100);
      return 'Progress tool finished';
    },
  })
  .tool({
    name: 'test_error_handling',
    description: 'Always fails',
    inputSchema: noArgs,
    handler: () => {
      throw new Error('This tool intentionally returns an error for testing');
    },
  })
  .tool({
    name: 'test_sampling',
    description: 'Asks the client model',
    inputSchema: {
      type: 'object',
      properties: { prompt: { type: 'string' } },
      required: ['prompt'],
    },
    handler: async (args, ctx) => {
      const answer = await ctx.createMessage({
        messages: [{ role: 'user', content: { type: 'text', text: String(args['prompt']) } }],
        maxTokens: 100,
      });
      const text = answer.content.type === 'text' ? answer.content.text : '';
      return `LLM response: ${text}`;
    },
  })
  .tool({
    name: 'test_elicitation',
    description: 'Asks the user',
    inputSchema: {
      type: 'object',
      properties: { message: { type: 'string' } },
      required: ['message'],
    },
    handler: async (args, ctx) => {
      const r = await ctx.elicit({
        message: String(args['message']),
        requestedSchema: {
          type: 'object',
          properties: {
            username: { type: 'string', description: "User's response" },
            email: { type: 'string', description: "User's email address" },
          },
          required: ['username', 'email'],
        },
      });
      return `User response: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`;
    },
  })
  .tool({
    name: 'test_elicitation_sep1034_defaults',
    description: 'Asks the user, with defaults',
    inputSchema: noArgs,
    handler: async (_args, ctx) => {
      const r = await ctx.elicit({
        message: 'Please review and update the form fields with defaults',
        requestedSchema: {
          type: 'object',
          properties: {
            name: { type: 'string', default: 'John Doe' },
            age: { type: 'integer', default: 30 },
            score: { type: 'number', default: 95.5 },
            status: { type: 'string', enum: ['active', 'inactive', 'pending'], default: 'active' },
            verified: { type: 'boolean', default: true },
          },
        },
      });
      return `Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`;
    },
  })
  .tool({
    name: 'test_elicitation_sep1330_enums',
    description: 'Asks the user, with every enum form',
    inputSchema: noArgs,
    handler: async (_args, ctx) => {
      const r = await ctx.elicit({
        message: 'Please pick options',
        requestedSchema: {
          type: 'object',
          properties: {
            untitledSingle: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            titledSingle: {
              type: 'string',
              oneOf: [
                { const: 'value1', title: 'First Option' },
                { const: 'value2', title: 'Second Option' },
                { const: 'value3', title: 'Third Option' },
              ],
            },
            legacyEnum: {
              type: 'string',
              enum: ['opt1', 'opt2', 'opt3'],
              enumNames: ['Option One', 'Option Two', 'Option Three'],
            },
            untitledMulti: {
              type: 'array',
              items: { type: 'string', enum: ['option1', 'option2', 'option3'] },
            },
            titledMulti: {
              type: 'array',
              items: {
                anyOf: [
                  { const: 'value1', title: 'First Choice' },
                  { const: 'value2', title: 'Second Choice' },
                  { const: 'value3', title: 'Third Choice' },
                ],
              },
            },
          },
        },
      });
      return `Elicitation completed: action=${r.action}, content=${JSON.stringify(r.content ?? {})}`;
    },
  })
  .tool({
    name: 'test_reconnection',
    description: 'Closes its SSE stream mid-call; the result comes after the client reconnects',
    inputSchema: noArgs,
    handler: async (_args, ctx) => {
      ctx.closeSseStream(100); // SEP-1699: the client comes back with Last-Event-ID
      await sleep(200);
      return 'Reconnection test completed';
    },
  })
  .tool({
    name: 'json_schema_2020_12_tool',
    description: 'Tool with JSON Schema 2020-12 features',
    inputSchema: {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'object',
      $defs: {
        address: {
          type: 'object',
          properties: { street: { type: 'string' }, city: { type: 'string' } },
        },
      },
      properties: { name: { type: 'string' }, address: { $ref: '#/$defs/address' } },
      additionalProperties: false,
    },
    handler: (args) => `Received: ${JSON.stringify(args)}`,
  })
  .resource({
    uri: 'test://static-text',
    name: 'static-text',
    description: 'A static text resource',
    mimeType: 'text/plain',
    read: () => 'This is the content of the static text resource.',
  })
  .resource({
    uri: 'test://static-binary',
    name: 'static-binary',
    description: 'A static binary resource',
    mimeType: 'image/png',
    read: () => [{ uri: 'test://static-binary', mimeType: 'image/png', blob: PNG }],
  })
  .resource({
    uri: 'test://watched-resource',
    name: 'watched-resource',
    description: 'A resource to subscribe to',
    mimeType: 'text/plain',
    read: () => 'Watched resource content',
  })
  .resourceTemplate({
    uriTemplate: 'test://template/{id}/data',
    name: 'template-data',
    description: 'Data by id',
    mimeType: 'application/json',
    read: (_uri, { id }) => JSON.stringify({ id, templateTest: true, data: `Data for ID: ${id}` }),
  })
  .prompt({
    name: 'test_simple_prompt',
    description: 'A prompt without arguments',
    get: () => ({
      messages: [
        { role: 'user', content: { type: 'text', text: 'This is a simple prompt for testing.' } },
      ],
    }),
  })
  .prompt({
    name: 'test_prompt_with_arguments',
    description: 'A prompt with two arguments',
    arguments: [
      { name: 'arg1', description: 'First test argument', required: true },
      { name: 'arg2', description: 'Second test argument', required: true },
    ],
    get: ({ arg1, arg2 }) => ({
      messages: [
        {
          role: 'user',
          content: { type: 'text', text: `Prompt with arguments: arg1='${arg1}', arg2='${arg2}'` },
        },
      ],
    }),
    complete: {
      arg1: (typed) => ['paris', 'park', 'party'].filter((v) => v.startsWith(typed)),
    },
  })
  .prompt({
    name: 'test_prompt_with_embedded_resource',
    description: 'A prompt embedding a resource',
    arguments: [{ name: 'resourceUri', description: 'URI of the resource', required: true }],
    get: ({ resourceUri }) => ({
      messages: [
        {
          role: 'user',
          content: {
            type: 'resource',
            resource: {
              uri: String(resourceUri),
              mimeType: 'text/plain',
              text: 'Embedded resource content for testing.',
            },
          },
        },
        {
          role: 'user',
          content: { type: 'text', text: 'Please process the embedded resource above.' },
        },
      ],
    }),
  })
  .prompt({
    name: 'test_prompt_with_image',
    description: 'A prompt with an image',
    get: () => ({
      messages: [
        { role: 'user', content: { type: 'image', data: PNG, mimeType: 'image/png' } },
        { role: 'user', content: { type: 'text', text: 'Please analyze the image above.' } },
      ],
    }),
  });

const app = createApp();
app.all('/mcp', mcp.handler);

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`mcp-everything listening on http://127.0.0.1:${port}/mcp`);
