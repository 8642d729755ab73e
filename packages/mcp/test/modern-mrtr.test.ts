import { createHmac } from 'node:crypto';
import { createServer, type Http1Server } from '@rws/http1';
import { createApp } from '@rws/router';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createMcpServer, type McpServer, type McpServerOptions } from '../src/index.js';
import { StateSigner } from '../src/internal/mrtr.js';
import { modernCall } from './modern-helpers.js';

/** One instance with tools that ask the client for input (MRTR). */
async function instance(options: Partial<McpServerOptions> = {}) {
  const mcp: McpServer = createMcpServer({ name: 'mrtr', version: '1', ...options });
  let runs = 0;
  mcp
    .tool({
      name: 'deploy',
      // One question after another: each retry answers the newest, requestState the earlier.
      handler: async (_args, ctx) => {
        runs++;
        const who = await ctx.elicit({
          message: 'Who approves?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
        });
        if (who.action !== 'accept') return 'not deployed';
        const note = await ctx.createMessage({
          messages: [{ role: 'user', content: { type: 'text', text: 'Write a release note' } }],
          maxTokens: 50,
        });
        const text = note.content.type === 'text' ? note.content.text : '?';
        return `deployed, approved by ${String(who.content?.['name'])}: ${text}`;
      },
    })
    .tool({
      name: 'both',
      // Two questions in the same turn travel in one InputRequiredResult.
      handler: async (_args, ctx) => {
        const [roots, answer] = await Promise.all([
          ctx.listRoots(),
          ctx.elicit({ message: 'Sure?', requestedSchema: { type: 'object', properties: {} } }),
        ]);
        return `${roots.roots.length} roots, ${answer.action}`;
      },
    })
    .tool({
      name: 'login',
      handler: async (_args, ctx) => {
        const r = await ctx.elicit({
          mode: 'url',
          message: 'Sign in to GitHub',
          url: 'https://example.com/connect',
        });
        return `login ${r.action}`;
      },
    })
    .tool({
      name: 'maybe-ask',
      // A handler may catch the missing capability and carry on without the answer.
      handler: async (_args, ctx) => {
        try {
          await ctx.elicit({ message: 'Optional?', requestedSchema: { type: 'object' } });
          return 'asked';
        } catch {
          return 'went on without asking';
        }
      },
    });
  const app = createApp();
  app.all('/mcp', mcp.handler);
  const server: Http1Server = createServer(app.handler);
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  return {
    mcp,
    url: `http://127.0.0.1:${port}/mcp`,
    runs: () => runs,
    close: async () => {
      mcp.close();
      await server.close({ graceMs: 100 });
    },
  };
}

type Instance = Awaited<ReturnType<typeof instance>>;
let a: Instance;
let b: Instance;
let stranger: Instance;
beforeAll(async () => {
  a = await instance({ requestStateSecret: 'shared secret of the fleet' });
  b = await instance({ requestStateSecret: 'shared secret of the fleet' });
  stranger = await instance({ requestStateSecret: 'another secret' });
});
afterAll(async () => {
  await Promise.all([a.close(), b.close(), stranger.close()]);
});

const CAPS = { elicitation: { form: {}, url: {} }, sampling: {}, roots: {} };
const ELICIT_ANSWER = { action: 'accept', content: { name: 'Ada' } };
const SAMPLE_ANSWER = {
  role: 'assistant',
  content: { type: 'text', text: 'All good.' },
  model: 'test-model',
  stopReason: 'endTurn',
};

describe('multi round-trip requests, 2026-07-28 (issue #19)', () => {
  it('asks, retries and completes across two instances behind a load balancer', async () => {
    const call = { name: 'deploy', arguments: {} };
    const first = await modernCall(a.url, 'tools/call', call, { capabilities: CAPS });
    expect(first.status).toBe(200);
    const r1 = first.body.result as Record<string, unknown>;
    expect(r1['resultType']).toBe('input_required');
    expect(r1['inputRequests']).toEqual({
      'elicitation-1': {
        method: 'elicitation/create',
        params: {
          message: 'Who approves?',
          requestedSchema: { type: 'object', properties: { name: { type: 'string' } } },
        },
      },
    });
    expect(typeof r1['requestState']).toBe('string');

    // The retry lands on the other instance: it has no memory of the first, and needs none.
    const second = await modernCall(
      b.url,
      'tools/call',
      {
        ...call,
        inputResponses: { 'elicitation-1': ELICIT_ANSWER },
        requestState: r1['requestState'],
      },
      { capabilities: CAPS },
    );
    const r2 = second.body.result as Record<string, unknown>;
    expect(r2['resultType']).toBe('input_required');
    expect(Object.keys(r2['inputRequests'] as object)).toEqual(['sampling-2']);
    expect(r2['inputRequests']).toMatchObject({
      'sampling-2': { method: 'sampling/createMessage', params: { maxTokens: 50 } },
    });

    const third = await modernCall(
      a.url,
      'tools/call',
      {
        ...call,
        inputResponses: { 'sampling-2': SAMPLE_ANSWER },
        requestState: r2['requestState'],
      },
      { capabilities: CAPS },
    );
    expect(third.body.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'deployed, approved by Ada: All good.' }],
    });
  });

  it('gathers the questions of one turn into one round', async () => {
    const first = await modernCall(
      a.url,
      'tools/call',
      { name: 'both', arguments: {} },
      {
        capabilities: CAPS,
      },
    );
    const r1 = first.body.result as Record<string, unknown>;
    expect(Object.keys(r1['inputRequests'] as object).sort()).toEqual(['elicitation-2', 'roots-1']);
    const done = await modernCall(
      a.url,
      'tools/call',
      {
        name: 'both',
        arguments: {},
        inputResponses: {
          'roots-1': { roots: [{ uri: 'file:///src' }, { uri: 'file:///docs' }] },
          'elicitation-2': { action: 'decline' },
        },
        requestState: r1['requestState'],
      },
      { capabilities: CAPS },
    );
    expect(done.body.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: '2 roots, decline' }],
    });
  });

  it('refuses forged, foreign or misapplied requestState', async () => {
    const first = await modernCall(
      a.url,
      'tools/call',
      { name: 'deploy', arguments: {} },
      {
        capabilities: CAPS,
      },
    );
    const state = (first.body.result as Record<string, unknown>)['requestState'] as string;
    const retry = (url: string, name: string, requestState: string) =>
      modernCall(
        url,
        'tools/call',
        { name, arguments: {}, inputResponses: { 'elicitation-1': ELICIT_ANSWER }, requestState },
        { capabilities: CAPS },
      );
    const [body, mac] = state.split('.') as [string, string];
    const payload = JSON.parse(Buffer.from(body, 'base64url').toString('utf8'));
    payload.a = { 'elicitation-1': { action: 'accept', content: { name: 'Mallory' } } };
    const forged = `${Buffer.from(JSON.stringify(payload)).toString('base64url')}.${mac}`;
    for (const [url, name, s] of [
      [a.url, 'deploy', forged],
      [stranger.url, 'deploy', state], // signed with another key
      [a.url, 'both', state], // issued for another tool
    ] as const) {
      const r = await retry(url, name, s);
      expect(r.status).toBe(400);
      expect(r.body.error?.code).toBe(-32602);
      expect(r.body.error?.message).toContain('requestState');
    }
  });

  it('answers -32602 for an answer of the wrong shape', async () => {
    const r = await modernCall(
      a.url,
      'tools/call',
      { name: 'deploy', arguments: {}, inputResponses: { 'elicitation-1': { action: 'maybe' } } },
      { capabilities: CAPS },
    );
    expect(r.body.error?.code).toBe(-32602);
    expect(r.body.error?.message).toContain('elicitation-1');
  });

  it('answers MissingRequiredClientCapability when the request lacks the capability', async () => {
    const r = await modernCall(
      a.url,
      'tools/call',
      { name: 'deploy', arguments: {} },
      {
        capabilities: { sampling: {} },
      },
    );
    expect(r.status).toBe(400);
    expect(r.body.error?.code).toBe(-32021);
    expect(r.body.error?.data).toEqual({ requiredCapabilities: { elicitation: {} } });

    // URL mode needs elicitation.url; a bare elicitation is form only.
    const url = await modernCall(
      a.url,
      'tools/call',
      { name: 'login', arguments: {} },
      {
        capabilities: { elicitation: {} },
      },
    );
    expect(url.body.error?.code).toBe(-32021);
    expect(url.body.error?.data).toEqual({ requiredCapabilities: { elicitation: { url: {} } } });
    const asked = await modernCall(
      a.url,
      'tools/call',
      { name: 'login', arguments: {} },
      {
        capabilities: CAPS,
      },
    );
    expect(asked.body.result).toMatchObject({
      resultType: 'input_required',
      inputRequests: {
        'elicitation-1': {
          method: 'elicitation/create',
          params: { mode: 'url', url: 'https://example.com/connect' },
        },
      },
    });

    // Caught by the handler, the missing capability is no error.
    const fallback = await modernCall(a.url, 'tools/call', { name: 'maybe-ask', arguments: {} });
    expect(fallback.body.result).toMatchObject({
      resultType: 'complete',
      content: [{ type: 'text', text: 'went on without asking' }],
    });
  });
});

describe('requestState signature', () => {
  it('is HMAC-SHA256 of the base64url body under the secret, string or bytes', () => {
    const secret = 'shared secret of the fleet';
    const body = Buffer.from(JSON.stringify({ step: 1 })).toString('base64url');
    const mac = createHmac('sha256', secret).update(body).digest('base64url');
    for (const key of [secret, new TextEncoder().encode(secret)]) {
      const signer = new StateSigner(key);
      expect(signer.sign({ step: 1 })).toBe(`${body}.${mac}`);
      expect(signer.verify(`${body}.${mac}`)).toEqual({ step: 1 });
    }
  });
});
