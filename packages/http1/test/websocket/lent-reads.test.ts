/**
 * Upgraded plain TCP sockets read into one buffer shared by all sockets (Node's `onread` mode,
 * src/internal/lent-reads.ts; issue #14). The next read of any socket overwrites it, so these
 * tests look for a message corrupted by a view kept too long: many sockets at once, messages
 * spanning many reads, fragments, many frames per read, and a consumer slow enough that the
 * rest of a read waits behind a full message queue.
 */
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import {
  connect,
  createServer as createNetServer,
  Socket as NetSocket,
  type Socket,
} from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import WsClient from 'ws';
import { lendReads } from '../../src/internal/lent-reads.js';
import {
  connectWebSocket,
  encodeFrame,
  FrameParser,
  OPCODE,
  type WebSocketMessage,
} from '../../src/websocket/index.js';
import { startEcho, startWs } from './ws-helpers.js';

async function open(url: string): Promise<WsClient> {
  const client = new WsClient(url, { perMessageDeflate: false });
  onTestFinished(() => client.terminate());
  await once(client, 'open');
  return client;
}

/** Messages of mixed sizes: a few bytes, around the 125/65535 length steps, and 300 KB. */
function mixedMessages(seed: number): Buffer[] {
  const sizes = [1, 125, 126, 4096, 65_535, 65_536, 300_000, 17, 70_000, 0];
  return sizes.map((n, i) => {
    const b = randomBytes(n);
    if (n > 0) b[0] = (seed + i) & 0xff;
    return b;
  });
}

/** Sends every message (some as three fragments) and waits for each echo, in order. */
async function echoAll(client: WsClient, messages: Buffer[]): Promise<Buffer[]> {
  const got: Buffer[] = [];
  const done = new Promise<void>((resolve) => {
    client.on('message', (data: Buffer) => {
      got.push(data);
      if (got.length === messages.length) resolve();
    });
  });
  messages.forEach((m, i) => {
    if (i % 3 === 1 && m.length >= 3) {
      const third = Math.floor(m.length / 3);
      client.send(m.subarray(0, third), { fin: false });
      client.send(m.subarray(third, 2 * third), { fin: false });
      client.send(m.subarray(2 * third), { fin: true });
    } else client.send(m);
  });
  await done;
  return got;
}

describe('lendReads (issue #14)', () => {
  it('hands a TCP socket’s reads to the callback; pause, resume and end still work', async () => {
    const server = createNetServer({ allowHalfOpen: true });
    onTestFinished(() => {
      server.close();
    });
    const accepted = new Promise<Socket>((resolve) => server.once('connection', resolve));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const client = connect(port, '127.0.0.1');
    onTestFinished(() => {
      client.destroy();
    });
    const socket = await accepted;
    onTestFinished(() => {
      socket.destroy();
    });
    socket.pause();
    client.write('before');
    await expect.poll(() => socket.readableLength).toBe(6);

    const reads: string[] = [];
    const lent = lendReads(socket, (n, buf) => reads.push(buf.toString('latin1', 0, n)));
    expect(lent.isLent).toBe(true);
    // Bytes the readable side held before the switch come back to the caller.
    expect(lent.buffered?.toString()).toBe('before');
    socket.on('data', () => reads.push('unexpected data event'));
    socket.resume();
    client.write('one');
    await expect.poll(() => reads.join('')).toBe('one');

    socket.pause();
    client.write('two');
    await new Promise((r) => setTimeout(r, 50));
    expect(reads.join('')).toBe('one');
    socket.resume();
    await expect.poll(() => reads.join('')).toBe('onetwo');

    const ended = once(socket, 'end');
    client.end();
    await ended;
    expect(reads.join('')).toBe('onetwo');
  });

  it('leaves a socket without a handle as it is', () => {
    const socket = new NetSocket();
    expect(lendReads(socket, () => {}).isLent).toBe(false);
  });
});

describe('FrameParser#release (issue #14)', () => {
  it('keeps what it holds when the chunk it was fed is overwritten, at every split point', () => {
    const frames = [
      encodeFrame(OPCODE.TEXT, Buffer.from('first frame'), { mask: true }),
      encodeFrame(OPCODE.BINARY, randomBytes(300), { mask: true }),
      encodeFrame(OPCODE.TEXT, Buffer.from('x'.repeat(70_000)), { mask: true }),
    ];
    const wire = Buffer.concat(frames);
    const options = { expectMasked: true, maxFrameBytes: 1 << 20, allowRsv1: false };
    const want = new FrameParser(options);
    want.feed(Buffer.from(wire));
    const expected: string[] = [];
    for (let f = want.next(); f !== null; f = want.next()) {
      expected.push(Buffer.from(f.payload).toString('hex'));
    }
    // Split points around every frame edge and inside headers and payloads.
    const splits = [1, 2, 5, 10, 17, 20, 300, 310, 316, 320, 1000, 70_000, wire.length - 1];
    for (const at of splits) {
      const parser = new FrameParser(options, true);
      const lent = Buffer.alloc(wire.length);
      const got: string[] = [];
      for (const [from, to] of [
        [0, at],
        [at, wire.length],
      ] as const) {
        wire.copy(lent, 0, from, to);
        parser.feed(lent.subarray(0, to - from));
        for (let f = parser.next(); f !== null; f = parser.next()) {
          got.push(Buffer.from(f.payload).toString('hex'));
        }
        parser.release();
        lent.fill(0xee); // the next read of another socket
      }
      expect(got, `split at ${at}`).toEqual(expected);
    }
  });
});

describe('WebSocket over lent reads (issue #14)', () => {
  it('echoes large, fragmented and small binary messages on many sockets at once intact', async () => {
    const { url } = await startEcho();
    const clients = await Promise.all(Array.from({ length: 6 }, () => open(url)));
    const sent = clients.map((_, i) => mixedMessages(i));
    const echoed = await Promise.all(clients.map((c, i) => echoAll(c, sent[i] as Buffer[])));
    for (let i = 0; i < clients.length; i++) {
      const want = sent[i] as Buffer[];
      const got = echoed[i] as Buffer[];
      expect(got.map((b) => b.length)).toEqual(want.map((b) => b.length));
      for (let j = 0; j < want.length; j++) expect(got[j]?.equals(want[j] as Buffer)).toBe(true);
    }
  });

  it('keeps text split across fragments and reads (multi-byte UTF-8 at the seams)', async () => {
    const { url } = await startEcho();
    const client = await open(url);
    const text = 'é✓😀'.repeat(40_000);
    const bytes = Buffer.from(text);
    const got = new Promise<string>((resolve) =>
      client.once('message', (d: Buffer) => resolve(d.toString())),
    );
    // Seams inside a 2-, 3- and 4-byte character.
    client.send(bytes.subarray(0, 1), { fin: false, binary: false });
    client.send(bytes.subarray(1, 70_001), { fin: false, binary: false });
    client.send(bytes.subarray(70_001), { fin: true, binary: false });
    expect(await got).toBe(text);
  });

  it('keeps the rest of a read intact while a slow iterator holds reading back', async () => {
    const got: string[] = [];
    const { url } = await startWs({
      onOpen: async (ws) => {
        let n = 0;
        for await (const m of ws) {
          got.push(m as string);
          // Slower than the sender: the 16-message queue fills with frames still unread.
          if (++n % 10 === 0) await new Promise((r) => setTimeout(r, 5));
        }
      },
    });
    const client = await open(url);
    const sent = Array.from({ length: 400 }, (_, i) => `${i}:${'abcdefghij'.repeat(i % 50)}`);
    for (const m of sent) client.send(m);
    await expect.poll(() => got.length, { timeout: 20_000 }).toBe(sent.length);
    expect(got).toEqual(sent);
  });

  it('works with our own client on both ends (its reads are lent too)', async () => {
    const { url } = await startEcho();
    const ws = await connectWebSocket(url);
    onTestFinished(() => ws.terminate());
    const messages: WebSocketMessage[] = [randomBytes(200_000), 'x'.repeat(70_000), randomBytes(3)];
    const got: WebSocketMessage[] = [];
    const iterator = ws[Symbol.asyncIterator]();
    for (const m of messages) await ws.send(m);
    for (let i = 0; i < messages.length; i++) {
      const r = await iterator.next();
      got.push(r.value as WebSocketMessage);
    }
    expect(got[1]).toBe(messages[1]);
    expect(Buffer.from(got[0] as Uint8Array).equals(messages[0] as Buffer)).toBe(true);
    expect(Buffer.from(got[2] as Uint8Array).equals(messages[2] as Buffer)).toBe(true);
  });
});
