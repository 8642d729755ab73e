/**
 * The one HTTP exchange the ACME client needs: a request with a small body to the CA over
 * node:https (node:http for a plain `http://` directory, which some test CAs use), the whole
 * response read into memory. `ca` adds trust anchors for a private CA such as pebble's.
 */
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';

export interface AcmeHttpResponse {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface AcmeHttpOptions {
  method: 'GET' | 'HEAD' | 'POST';
  headers?: Record<string, string>;
  body?: string;
  ca?: string | Buffer | readonly (string | Buffer)[] | undefined;
  timeoutMs: number;
  signal?: AbortSignal | undefined;
}

/** Responses above this are not an ACME resource (a chain is a few KiB). */
const MAX_BODY_BYTES = 1 << 20;

export function acmeHttp(url: string, options: AcmeHttpOptions): Promise<AcmeHttpResponse> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const send = target.protocol === 'http:' ? httpRequest : httpsRequest;
    const headers: Record<string, string> = { 'user-agent': 'rws-acme', ...options.headers };
    if (options.body !== undefined) {
      headers['content-length'] = String(Buffer.byteLength(options.body));
    }
    const ca = options.ca === undefined ? undefined : [options.ca].flat();
    const req = send(target, {
      method: options.method,
      headers,
      timeout: options.timeoutMs,
      ...(ca === undefined ? {} : { ca }),
      ...(options.signal === undefined ? {} : { signal: options.signal }),
    });
    req.on('timeout', () => {
      req.destroy(new Error(`no answer from ${url} within ${options.timeoutMs} ms`));
    });
    req.on('error', reject);
    req.on('response', (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (chunk: Buffer) => {
        size += chunk.length;
        if (size > MAX_BODY_BYTES) {
          req.destroy(new Error(`response from ${url} exceeds ${MAX_BODY_BYTES} bytes`));
          return;
        }
        chunks.push(chunk);
      });
      res.on('error', reject);
      res.on('end', () => {
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) });
      });
    });
    req.end(options.body);
  });
}
