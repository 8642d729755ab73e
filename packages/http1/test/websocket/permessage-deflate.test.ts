/**
 * permessage-deflate (RFC 7692, issue #14): the negotiation table over raw handshakes, and
 * compressed traffic with the `ws` client under each context-takeover / window-bits setting.
 */
import { once } from 'node:events';
import { describe, expect, it, onTestFinished } from 'vitest';
import WsClient from 'ws';
import type { DeflateOptions } from '../../src/websocket/index.js';
import { rawConnect, rawHttp, startEcho } from './ws-helpers.js';

const table: { offer: string; server?: DeflateOptions; answer: string | null }[] = [
  { offer: 'permessage-deflate', answer: 'permessage-deflate' },
  {
    offer: 'permessage-deflate; client_max_window_bits',
    answer: 'permessage-deflate',
  },
  {
    offer: 'permessage-deflate; client_max_window_bits',
    server: { clientMaxWindowBits: 10 },
    answer: 'permessage-deflate; client_max_window_bits=10',
  },
  {
    offer: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
    answer: 'permessage-deflate; server_no_context_takeover; client_no_context_takeover',
  },
  {
    offer: 'permessage-deflate',
    server: { serverNoContextTakeover: true, serverMaxWindowBits: 12 },
    answer: 'permessage-deflate; server_no_context_takeover; server_max_window_bits=12',
  },
  {
    offer: 'permessage-deflate; server_max_window_bits=10',
    answer: 'permessage-deflate; server_max_window_bits=10',
  },
  // An 8-bit window cannot be honoured by zlib: that offer is declined, the next one taken.
  {
    offer: 'permessage-deflate; server_max_window_bits=8, permessage-deflate',
    answer: 'permessage-deflate',
  },
  { offer: 'permessage-deflate; server_max_window_bits=16', answer: null },
  { offer: 'permessage-deflate; server_max_window_bits', answer: null },
  { offer: 'permessage-deflate; client_max_window_bits=7', answer: null },
  { offer: 'permessage-deflate; unknown_param', answer: null },
  { offer: 'permessage-deflate; server_no_context_takeover=1', answer: null },
  { offer: 'x-webkit-deflate-frame', answer: null },
];

describe('permessage-deflate negotiation (RFC 7692 §7.1)', () => {
  it.each(table)('$offer with $server → $answer', async (row) => {
    const { port } = await startEcho({ deflate: row.server ?? true });
    const client = await rawConnect(port, `Sec-WebSocket-Extensions: ${row.offer}\r\n`);
    const line = /\r\nsec-websocket-extensions: ([^\r]*)/.exec(client.head)?.[1] ?? null;
    expect(line).toBe(row.answer);
  });

  it('is not negotiated when the route does not enable it', async () => {
    const { port } = await startEcho();
    const client = await rawConnect(port, 'Sec-WebSocket-Extensions: permessage-deflate\r\n');
    expect(client.head).not.toContain('sec-websocket-extensions');
    // And RSV1 is then a protocol error.
    client.send(1, 'x', { rsv1: true });
    expect(await client.closeCode()).toBe(1002);
  });

  it('thresholdBytes decides which messages the server compresses (default 1024)', async () => {
    const offer = 'Sec-WebSocket-Extensions: permessage-deflate\r\n';
    const echoOf = async (deflate: true | DeflateOptions, text: string) => {
      const { port } = await startEcho({ deflate });
      const client = await rawConnect(port, offer);
      client.send(1, text);
      const [frame] = await client.waitFor((f) => f.length > 0, 20_000);
      return frame?.rsv1;
    };
    expect(await echoOf(true, 'short')).toBe(false);
    expect(await echoOf(true, 'x'.repeat(2000))).toBe(true);
    expect(await echoOf({ thresholdBytes: 0 }, 'short')).toBe(true);
    expect(await echoOf({ thresholdBytes: 4096 }, 'x'.repeat(2000))).toBe(false);
  });

  it('a handshake refusal is still a plain response with deflate on', async () => {
    const { port } = await startEcho({ deflate: true });
    expect((await rawHttp(port, 'GET / HTTP/1.1\r\nHost: a\r\n\r\n')).status).toBe(426);
  });
});

describe('compressed traffic with the ws client', () => {
  const settings: {
    name: string;
    client: WsClient.PerMessageDeflateOptions;
    server: DeflateOptions;
  }[] = [
    { name: 'defaults (context takeover both ways)', client: {}, server: {} },
    {
      name: 'no context takeover both ways',
      client: { serverNoContextTakeover: true, clientNoContextTakeover: true },
      server: {},
    },
    {
      name: 'server forces no context takeover',
      client: {},
      server: { serverNoContextTakeover: true, clientNoContextTakeover: true },
    },
    {
      name: 'small windows',
      client: { serverMaxWindowBits: 9, clientMaxWindowBits: 9 },
      server: { clientMaxWindowBits: 9 },
    },
  ];

  it.each(settings)(
    '$name: many messages round-trip, and they are really compressed',
    async (s) => {
      let wireBytes = 0;
      const { url, server: _server } = await startEcho({
        deflate: { ...s.server, thresholdBytes: 0 },
      });
      const client = new WsClient(url, { perMessageDeflate: { ...s.client, threshold: 0 } });
      onTestFinished(() => client.terminate());
      await once(client, 'open');
      expect(client.extensions).toContain('permessage-deflate');
      // Count what the server actually puts on the wire.
      (client as unknown as { _socket: import('node:net').Socket })._socket.on(
        'data',
        (d: Buffer) => {
          wireBytes += d.length;
        },
      );
      const got: string[] = [];
      client.on('message', (d: Buffer) => got.push(d.toString()));
      const sent: string[] = [];
      for (let i = 0; i < 30; i++) {
        const m = `message ${i} ${'lorem ipsum dolor sit amet '.repeat(200)}`;
        sent.push(m);
        client.send(m);
      }
      await expect.poll(() => got.length, { timeout: 10_000 }).toBe(30);
      expect(got).toEqual(sent);
      const plain = sent.reduce((n, m) => n + m.length, 0);
      expect(wireBytes).toBeLessThan(plain / 10);
    },
  );
});
