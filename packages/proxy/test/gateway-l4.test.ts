import { createSocket } from 'node:dgram';
import { connect, createServer } from 'node:net';
import { describe, expect, it, onTestFinished } from 'vitest';
import { createGateway, formatConfigProblem } from '../src/index.js';

async function tcpEcho(tag: string): Promise<number> {
  const server = createServer((socket) => socket.on('data', (d) => socket.write(`${tag}:${d}`)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => server.close(() => r())));
  return (server.address() as { port: number }).port;
}

function tcpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => socket.write(text));
    socket.once('data', (d) => {
      resolve(d.toString());
      socket.destroy();
    });
    socket.once('error', reject);
  });
}

async function udpEcho(): Promise<number> {
  const socket = createSocket('udp4');
  socket.on('message', (msg, rinfo) => socket.send(`echo:${msg}`, rinfo.port, rinfo.address));
  await new Promise<void>((r) => socket.bind(0, '127.0.0.1', r));
  onTestFinished(() => new Promise<void>((r) => socket.close(() => r())));
  return socket.address().port;
}

function udpAsk(port: number, text: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createSocket('udp4');
    const timer = setTimeout(() => {
      socket.close();
      reject(new Error('no UDP reply'));
    }, 2000);
    socket.once('message', (msg) => {
      clearTimeout(timer);
      socket.close();
      resolve(msg.toString());
    });
    socket.send(text, port, '127.0.0.1');
  });
}

describe('[[tcp_proxy]] and [[udp_proxy]] listeners', () => {
  it('relay TCP round robin and UDP datagrams; a reload keeps unchanged listeners and closes removed ones', async () => {
    const a = await tcpEcho('a');
    const b = await tcpEcho('b');
    const u = await udpEcho();
    const tcp = `[[tcp_proxy]]\nname = "db"\nlisten = "127.0.0.1:0"\nbackends = ["127.0.0.1:${a}", "127.0.0.1:${b}"]\n`;
    const udp = `[[udp_proxy]]\nname = "dns"\nlisten = "127.0.0.1:0"\nbackends = ["127.0.0.1:${u}"]\nreply_timeout_ms = 1000\nbuffer_size = 65536\n`;
    const gateway = await createGateway(tcp + udp);
    onTestFinished(() => gateway.close());
    const [db, dns] = gateway.listeners;
    expect([db?.kind, db?.name, dns?.kind, dns?.name]).toEqual(['tcp', 'db', 'udp', 'dns']);
    const answers = [await tcpAsk(db!.port, 'x'), await tcpAsk(db!.port, 'y')];
    expect([answers[0]?.slice(1), answers[1]?.slice(1)]).toEqual([':x', ':y']);
    expect(new Set(answers.map((s) => s[0]))).toEqual(new Set(['a', 'b']));
    expect(await udpAsk(dns!.port, 'q')).toBe('echo:q');

    // Same settings: the very same listener (same port) carries on; udp_proxy removed: closed.
    expect((await gateway.reload(tcp)).isApplied).toBe(true);
    expect(gateway.listeners.map((l) => [l.kind, l.port])).toEqual([['tcp', db!.port]]);
    expect((await tcpAsk(db!.port, 'z')).endsWith(':z')).toBe(true);
    await expect(udpAsk(dns!.port, 'gone')).rejects.toThrow('no UDP reply');
  });

  it('a port that cannot be bound is a problem naming the listener; nothing starts', async () => {
    const busy = createServer();
    await new Promise<void>((r) => busy.listen(0, '127.0.0.1', r));
    onTestFinished(() => new Promise<void>((r) => busy.close(() => r())));
    const { port } = busy.address() as { port: number };
    const err = await createGateway(
      `[[tcp_proxy]]\nlisten = "127.0.0.1:${port}"\nbackends = ["127.0.0.1:9"]\n`,
    ).catch((e: unknown) => e);
    expect(
      (err as { problems: Parameters<typeof formatConfigProblem>[0][] }).problems.map(
        formatConfigProblem,
      ),
    ).toEqual([
      expect.stringMatching(
        new RegExp(
          `^rws\\.config\\.toml:2: tcp_proxy\\[0\\]\\.listen: cannot listen on 127\\.0\\.0\\.1:${port}: .*EADDRINUSE`,
        ),
      ),
    ]);
  });
});
