/**
 * A scripted SMTP server on a raw socket, for exact protocol checks: `script(socket, line)`
 * answers each client line (CRLF stripped). `lines` records every line, `chunks` every
 * `data` event as received (to see which commands came in one write), `connections` the
 * sockets accepted.
 */
import { type AddressInfo, createServer, type Socket } from 'node:net';
import { onTestFinished } from 'vitest';

export interface RawServer {
  port: number;
  lines: string[];
  chunks: string[];
  connections(): number;
}

export async function rawServer(
  greeting: string | null,
  script: (socket: Socket, line: string) => void,
): Promise<RawServer> {
  const lines: string[] = [];
  const chunks: string[] = [];
  const sockets = new Set<Socket>();
  let connections = 0;
  const server = createServer((socket) => {
    connections++;
    sockets.add(socket);
    socket.on('error', () => undefined);
    if (greeting !== null) socket.write(greeting);
    let buf = '';
    socket.setEncoding('utf8').on('data', (d: string) => {
      chunks.push(d);
      buf += d;
      let nl = buf.indexOf('\r\n');
      while (nl !== -1) {
        const line = buf.slice(0, nl);
        buf = buf.slice(nl + 2);
        lines.push(line);
        script(socket, line);
        nl = buf.indexOf('\r\n');
      }
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  onTestFinished(
    () =>
      new Promise<void>((r) => {
        for (const s of sockets) s.destroy();
        server.close(() => r());
      }),
  );
  return {
    port: (server.address() as AddressInfo).port,
    lines,
    chunks,
    connections: () => connections,
  };
}
