/**
 * Interop with the `ws` package as the client against upgradeWebSocket (issue #14): echo of
 * text and binary, fragmented and large messages, close codes both ways, plain and deflate.
 */
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import WsClient from 'ws';
import { startEcho, startWs } from './ws-helpers.js';

async function open(
  url: string,
  options: WsClient.ClientOptions = {},
  protocols?: string[],
): Promise<WsClient> {
  const client = new WsClient(url, protocols, options);
  onTestFinished(() => client.terminate());
  await once(client, 'open');
  return client;
}

function nextMessage(client: WsClient): Promise<{ data: Buffer; isBinary: boolean }> {
  return new Promise((resolve) => {
    client.once('message', (data: Buffer, isBinary: boolean) => resolve({ data, isBinary }));
  });
}

function closed(client: WsClient): Promise<{ code: number; reason: string }> {
  return new Promise((resolve) => {
    client.once('close', (code: number, reason: Buffer) =>
      resolve({ code, reason: reason.toString() }),
    );
  });
}

for (const perMessageDeflate of [false, true]) {
  describe(`ws client against our server (perMessageDeflate ${perMessageDeflate})`, () => {
    it('echoes text and binary, keeping the type', async () => {
      const { url } = await startEcho({ deflate: perMessageDeflate });
      const client = await open(url, { perMessageDeflate });
      expect(client.extensions).toBe(perMessageDeflate ? 'permessage-deflate' : '');
      client.send('héllo ✓');
      const text = await nextMessage(client);
      expect(text.isBinary).toBe(false);
      expect(text.data.toString()).toBe('héllo ✓');
      client.send(Buffer.from([0, 1, 2, 255]));
      const bin = await nextMessage(client);
      expect(bin.isBinary).toBe(true);
      expect([...bin.data]).toEqual([0, 1, 2, 255]);
    });

    it('reassembles a fragmented message and echoes a 5 MiB one intact', async () => {
      const { url } = await startEcho({ deflate: perMessageDeflate });
      const client = await open(url, { perMessageDeflate });
      client.send('frag-', { fin: false });
      client.send('ment-', { fin: false });
      client.send('ed', { fin: true });
      expect((await nextMessage(client)).data.toString()).toBe('frag-ment-ed');
      const big = Buffer.alloc(5 * 1024 * 1024);
      for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 10)) & 0xff;
      client.send(big);
      const echoed = await nextMessage(client);
      expect(echoed.data.equals(big)).toBe(true);
    });

    it('closes with the code the client chose, and the server sees it', async () => {
      let seen: { code: number; reason: string } | null = null;
      const { url } = await startWs({
        deflate: perMessageDeflate,
        onClose: (info) => {
          seen = { code: info.code, reason: info.reason };
        },
      });
      const client = await open(url, { perMessageDeflate });
      const done = closed(client);
      client.close(4001, 'bye now');
      expect(await done).toEqual({ code: 4001, reason: 'bye now' });
      await expect.poll(() => seen).toEqual({ code: 4001, reason: 'bye now' });
    });

    it('the server closes with 1008 and a reason; the client sees both', async () => {
      const { url } = await startWs({
        deflate: perMessageDeflate,
        onMessage: (_m, ws) => ws.close(1008, 'policy'),
      });
      const client = await open(url, { perMessageDeflate });
      const done = closed(client);
      client.send('anything');
      expect(await done).toEqual({ code: 1008, reason: 'policy' });
    });

    it('a message over maxMessageBytes closes with 1009', async () => {
      const { url } = await startEcho({ deflate: perMessageDeflate, maxMessageBytes: 1000 });
      const client = await open(url, { perMessageDeflate });
      const done = closed(client);
      client.send('x'.repeat(1001));
      expect((await done).code).toBe(1009);
    });
  });
}

describe('subprotocols with ws', () => {
  it('chooses the server-preferred protocol among those offered', async () => {
    let chosen = '';
    const { url } = await startWs({
      protocols: ['v2.chat', 'v1.chat'],
      onOpen: (ws) => {
        chosen = ws.protocol;
      },
    });
    const client = await open(url, {}, ['v1.chat', 'v2.chat']);
    expect(client.protocol).toBe('v2.chat');
    await expect.poll(() => chosen).toBe('v2.chat');
  });
});
