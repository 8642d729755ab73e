import { type Agent, request as httpRequest, type IncomingHttpHeaders } from 'node:http';

/** What `httpCall` received. */
export interface HttpResult {
  status: number;
  headers: IncomingHttpHeaders;
  body: string;
}

/**
 * One request with node:http to 127.0.0.1:`port` (a real client, independent of the server
 * under test), the body collected as UTF-8 text. No keep-alive unless `agent` is given.
 */
export function httpCall(
  port: number,
  path: string,
  init: {
    method?: string;
    headers?: Record<string, string>;
    body?: string | Buffer;
    agent?: false | Agent;
  } = {},
): Promise<HttpResult> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: '127.0.0.1',
        port,
        path,
        method: init.method ?? 'GET',
        headers: init.headers ?? {},
        agent: init.agent ?? false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () =>
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: Buffer.concat(chunks).toString('utf8'),
          }),
        );
        res.on('error', reject);
      },
    );
    req.on('error', reject);
    req.end(init.body);
  });
}
