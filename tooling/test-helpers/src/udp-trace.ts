/**
 * With `RWS_UDP_TRACE` naming a file (see udp-trace-setup.ts), every test process appends its
 * UDP binds, closes, sends and receives to that file, and at the end of each test file reports
 * the datagrams it received from a port that another process held at the time (datagrams
 * crossing between tests run in parallel).
 *
 * Why: a suspected cross-talk between parallel test processes (a peer in one test reaching a
 * reused port of another) is a claim about addresses, so it should be checked on addresses, not
 * inferred from a qlog. Run, for example, two vitest processes with
 * `RWS_UDP_TRACE=/tmp/udp.trace` and read the `udp-trace:` lines each prints. Lines are
 * `<ms> <pid> bind <port> <test file> > <test>`, `<ms> <pid> close <port>`,
 * `<ms> <pid> send <from> <to>` and `<ms> <pid> recv <at> <from> <bytes>`; every process appends
 * to the same file (O_APPEND, one write per line), so the ports held at any moment can be read
 * back from it, and a socket bound but never closed shows which test leaked it.
 */

import { Socket } from 'node:dgram';
import { openSync, readFileSync, writeSync } from 'node:fs';
import { afterAll, expect } from 'vitest';

const kTraced = Symbol.for('rws.udpTrace');

/**
 * Appends this process's UDP events to `file` from now on, and reports at the end of the test
 * file. Once per process: a worker that runs several test files loads the setup for each.
 */
export function traceUdp(file: string): void {
  if (kTraced in Socket.prototype) return;
  // Left open: sockets still close after the last hook, and the process's exit closes it.
  const fd = openSync(file, 'a');
  const log = (line: string) => writeSync(fd, `${Date.now()} ${process.pid} ${line}\n`);
  const portOf = (socket: Socket): number | '?' => {
    try {
      return socket.address().port;
    } catch {
      return '?';
    }
  };
  const bound = new WeakMap<Socket, number | '?'>();
  const proto = Socket.prototype;
  Object.defineProperty(proto, kTraced, { value: true });
  const emit = proto.emit;
  proto.emit = function (this: Socket, event: string | symbol, ...args: unknown[]): boolean {
    if (event === 'listening') {
      bound.set(this, portOf(this));
      const { testPath, currentTestName } = expect.getState();
      log(`bind ${bound.get(this)} ${testPath ?? ''} > ${currentTestName ?? '(no test)'}`);
    } else if (event === 'close') log(`close ${bound.get(this) ?? '?'}`);
    else if (event === 'message') {
      const [msg, rinfo] = args as [Buffer, { port: number }];
      log(`recv ${portOf(this)} ${rinfo.port} ${msg.length}`);
    }
    return (emit as (...a: unknown[]) => boolean).apply(this, [event, ...args]);
  } as typeof proto.emit;
  const send = proto.send;
  proto.send = function (this: Socket, ...args: unknown[]): void {
    // send(msg, [offset, length,] port, address, callback): the port follows the message, or
    // the offset and length.
    const to = typeof args[2] === 'number' ? args[3] : args[1];
    log(`send ${portOf(this)} ${String(to)}`);
    (send as (...a: unknown[]) => void).apply(this, args);
  } as typeof proto.send;
  afterAll(() => {
    const crossed = crossedDatagrams(readFileSync(file, 'utf8'), String(process.pid));
    process.stderr.write(
      `udp-trace: ${crossed.length} datagram(s) from another process's port${crossed.length ? `:\n${crossed.slice(0, 20).join('\n')}` : ''}\n`,
    );
  });
}

/** The `recv` lines of `pid` whose sender port another process held at that moment. */
export function crossedDatagrams(text: string, pid: string): string[] {
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((line) => line.split(' '))
    .sort((a, b) => Number(a[0]) - Number(b[0]));
  const owner = new Map<string, string>();
  const crossed: string[] = [];
  for (const [, who, event, port, from] of lines) {
    if (event === 'bind') owner.set(port!, who!);
    else if (event === 'close' && owner.get(port!) === who) owner.delete(port!);
    else if (event === 'recv' && who === pid) {
      const sender = owner.get(from!);
      if (sender !== undefined && sender !== pid)
        crossed.push(`  pid ${pid} port ${port} got a datagram from port ${from} of pid ${sender}`);
    }
  }
  return crossed;
}
