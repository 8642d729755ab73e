/**
 * Ports for peers that must be told a number before the program under test binds it (pebble's
 * validation ports, a config file's `port = …`, caddy, nginx, named).
 *
 * Why not `listen(0)` then `close()`: that port comes from the kernel's ephemeral range, and in
 * the moment between our close and the child's bind the kernel may hand the same number to any
 * other process's `listen(0)` or outgoing `connect()` (a full CI run once failed with "port is
 * already in use" that way). A port below the ephemeral range is never chosen by the kernel, so
 * only another explicit pick can take it; picks are spread over slices per vitest worker
 * (`VITEST_POOL_ID` is unique among workers running at once), and each is checked bindable.
 */

import { createSocket } from 'node:dgram';
import { readFileSync } from 'node:fs';
import { createServer } from 'node:net';

const LOWEST = 10_000;
const SLICES = 8;

/** The first port of the kernel's ephemeral range (32768 on Linux by default). */
function ephemeralLow(): number {
  try {
    const low = Number(
      readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').split(/\s+/)[0],
    );
    return Number.isInteger(low) && low > LOWEST + SLICES * 64 ? low : 32_768;
  } catch {
    return 32_768;
  }
}

const sliceSize = Math.floor((ephemeralLow() - LOWEST) / SLICES);
const slice = (Number(process.env['VITEST_POOL_ID'] ?? process.pid) % SLICES) * sliceSize + LOWEST;
let next = Math.floor(Math.random() * sliceSize);

function tcpBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

function udpBindable(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createSocket('udp4');
    socket.once('error', () => {
      socket.close();
      resolve(false);
    });
    socket.bind(port, '127.0.0.1', () => socket.close(() => resolve(true)));
  });
}

/**
 * A port of 127.0.0.1 outside the ephemeral range that is free now on TCP (and on UDP too with
 * `{ udp: true }`, for servers that bind both, such as HTTP/3 ones), and that this process has
 * not handed out before.
 */
export async function reservePort(options: { udp?: boolean } = {}): Promise<number> {
  for (let tries = 0; tries < sliceSize; tries++) {
    const port = slice + (next++ % sliceSize);
    if (!(await tcpBindable(port))) continue;
    if (options.udp && !(await udpBindable(port))) continue;
    return port;
  }
  throw new Error(`reservePort: no free port in ${slice}-${slice + sliceSize - 1}`);
}

/** A UDP port of 127.0.0.1 free now, outside the ephemeral range (for a UDP-only server). */
export async function reserveUdpPort(): Promise<number> {
  for (let tries = 0; tries < sliceSize; tries++) {
    const port = slice + (next++ % sliceSize);
    if (await udpBindable(port)) return port;
  }
  throw new Error(`reserveUdpPort: no free port in ${slice}-${slice + sliceSize - 1}`);
}
