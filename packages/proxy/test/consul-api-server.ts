/**
 * A small Consul agent for the tests (Consul does not install here): the health API of one
 * service with blocking queries (`index` held until it moves), the ACL token checked.
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { onTestFinished } from 'vitest';

/** A health entry as `/v1/health/service/<name>` returns it (the fields the source reads). */
export interface ConsulEntry {
  Node: { Address: string };
  Service: { Address: string; Port: number; Weights?: { Passing: number } };
}

export async function startConsul(
  service: string,
  token: string,
  initial: ConsulEntry[],
): Promise<{
  address: string;
  server: http.Server;
  instances: ConsulEntry[];
  waiting: Set<() => void>;
  seen: string[];
  change: (next: ConsulEntry[]) => void;
}> {
  let index = 7;
  let instances = initial;
  const waiting = new Set<() => void>();
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url!, 'http://x');
    seen.push(url.search);
    if (req.headers['x-consul-token'] !== token) {
      res.writeHead(403).end('ACL not found');
      return;
    }
    if (
      url.pathname !== `/v1/health/service/${service}` ||
      url.searchParams.get('passing') === null
    ) {
      res.writeHead(404).end();
      return;
    }
    const answer = (): void => {
      res.writeHead(200, { 'content-type': 'application/json', 'x-consul-index': String(index) });
      res.end(JSON.stringify(instances));
    };
    const asked = Number(url.searchParams.get('index') ?? 0);
    if (asked > 0 && asked === index) {
      // A blocking query: hold until the index moves (or the client goes).
      waiting.add(answer);
      res.on('close', () => waiting.delete(answer));
    } else answer();
  });
  onTestFinished(
    () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  );
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  return {
    address: `http://127.0.0.1:${port}`,
    server,
    instances,
    waiting,
    seen,
    change: (next) => {
      instances = next;
      index++;
      for (const w of [...waiting]) w();
      waiting.clear();
    },
  };
}
