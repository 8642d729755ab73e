/** 103 Early Hints through `writeEarlyHints()` (RFC 8297, RFC 9110 §15.2). */
import { request } from 'node:http';
import { Headers, type Request } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { EARLY_HINTS, writeEarlyHints } from '../src/index.js';
import { exchange, start, text } from './helpers.js';

const LINK = '</app.css>; rel=preload; as=style';

describe('writeEarlyHints', () => {
  it('sends 103 before the final response, more than once, on a keep-alive connection', async () => {
    const results: boolean[] = [];
    const { port } = await start((req) => {
      results.push(writeEarlyHints(req, { link: LINK }));
      results.push(writeEarlyHints(req, new Headers([['link', '</app.js>; rel=preload']])));
      return text('page');
    });
    const r = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n',
      {
        responses: 2,
      },
    );
    expect(results).toEqual([true, true, true, true]);
    expect(
      r.raw.startsWith(
        `HTTP/1.1 103 Early Hints\r\nlink: ${LINK}\r\n\r\nHTTP/1.1 103 Early Hints\r\n`,
      ),
    ).toBe(true);
    expect(r.responses.map((x) => x.status)).toEqual([103, 103, 200, 103, 103, 200]);
    expect(r.responses[2]!.body).toBe('page');
  });

  it('sends nothing to HTTP/1.0 clients, after the response started, or after it ended', async () => {
    const results: boolean[] = [];
    let late: Request | null = null;
    const { port } = await start((req) => {
      if (req.path === '/late') late = req;
      results.push(writeEarlyHints(req, { link: LINK }));
      return {
        status: 200,
        headers: new Headers(),
        body: (async function* () {
          yield Buffer.from('a');
          results.push(writeEarlyHints(req, { link: LINK }));
        })(),
      };
    });
    const r10 = await exchange(port, 'GET / HTTP/1.0\r\n\r\n');
    expect(r10.raw).not.toContain('103');
    expect(results).toEqual([false, false]);
    const r11 = await exchange(port, 'GET /late HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(r11.responses.map((x) => x.status)).toEqual([103, 200]);
    expect(results).toEqual([false, false, true, false]);
    expect(writeEarlyHints(late!, { link: LINK })).toBe(false);
  });

  it('returns false for a request without the capability, and the symbol is registered', () => {
    const req = { headers: new Headers() } as unknown as Request;
    expect(writeEarlyHints(req, { link: LINK })).toBe(false);
    expect(EARLY_HINTS).toBe(Symbol.for('rws.earlyHints'));
  });

  it('reaches a node:http client as an information event', async () => {
    const { port } = await start(async (req) => {
      writeEarlyHints(req, { link: LINK });
      return text('done');
    });
    const info = await new Promise<{ status: number; link: unknown; body: string }>(
      (resolve, reject) => {
        let hint: { statusCode: number; headers: Record<string, unknown> } | null = null;
        const r = request({ port, host: '127.0.0.1', path: '/', agent: false }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (d: string) => {
            body += d;
          });
          res.on('end', () =>
            resolve({ status: hint!.statusCode, link: hint!.headers['link'], body }),
          );
        });
        r.on('information', (i) => {
          hint = i;
        });
        r.on('error', reject);
        r.end();
      },
    );
    expect(info).toEqual({ status: 103, link: LINK, body: 'done' });
  });
});
