import { execFile } from 'node:child_process';
import { createSocket, type Socket } from 'node:dgram';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it, onTestFinished } from 'vitest';
import { crossedDatagrams, traceUdp } from '../src/udp-trace.js';

const file = join(mkdtempSync(join(tmpdir(), 'rws-udp-trace-')), 'udp.trace');
traceUdp(file);

async function bound(): Promise<Socket> {
  const socket = createSocket('udp4');
  onTestFinished(() => new Promise<void>((resolve) => socket.close(() => resolve())));
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', resolve));
  return socket;
}

const received = (socket: Socket) => new Promise((resolve) => socket.once('message', resolve));

describe('udp-trace: datagrams between parallel test processes', () => {
  it('does not flag a datagram between two sockets of this process', async () => {
    const [a, b] = [await bound(), await bound()];
    const got = received(b);
    a.send('x', b.address().port, '127.0.0.1');
    await got;
    expect(crossedDatagrams(readFileSync(file, 'utf8'), String(process.pid))).toEqual([]);
  });

  it('flags a datagram from a port another traced process holds', async () => {
    const socket = await bound();
    const got = received(socket);
    // Another process that logs its bind as a traced one does, then sends to us.
    const peer = `
      const dgram = require('node:dgram');
      const fs = require('node:fs');
      const s = dgram.createSocket('udp4');
      s.bind(0, '127.0.0.1', () => {
        fs.appendFileSync(${JSON.stringify(file)}, Date.now() + ' ' + process.pid + ' bind ' + s.address().port + '\\n');
        s.send('x', ${socket.address().port}, '127.0.0.1', () => s.close());
      });`;
    await promisify(execFile)(process.execPath, ['-e', peer]);
    await got;
    const crossed = crossedDatagrams(readFileSync(file, 'utf8'), String(process.pid));
    expect(crossed).toHaveLength(1);
    expect(crossed[0]).toContain(`port ${socket.address().port} got a datagram`);
  });
});
