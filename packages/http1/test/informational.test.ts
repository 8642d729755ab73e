/**
 * Informational responses through core's `req.sendInformational()` (issue #9) and the
 * `writeEarlyHints()` wrapper over it (RFC 8297, RFC 9110 §15.2).
 */
import { request } from 'node:http';
import { createRequest, Headers, isRwsError, type Request } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { writeEarlyHints } from '../src/index.js';
import { exchange, start, text } from './helpers.js';

const LINK = '</app.css>; rel=preload; as=style';

describe('req.sendInformational (issue #9)', () => {
  it('sends 103 with Link from any handler, before the final response', async () => {
    const { port } = await start((req) => {
      const sent = req.sendInformational?.(103, { link: LINK });
      return text(`sent=${String(sent)}`);
    });
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(
      r.raw.startsWith(`HTTP/1.1 103 Early Hints\r\nlink: ${LINK}\r\n\r\nHTTP/1.1 200 OK\r\n`),
    ).toBe(true);
    expect(r.responses.map((x) => x.status)).toEqual([103, 200]);
    expect(r.responses[1]!.body).toBe('sent=true');
  });

  it('sends other 1xx (102, 104) and leaves the connection usable', async () => {
    const { port } = await start((req) => {
      req.sendInformational?.(102);
      req.sendInformational?.(104, { 'upload-draft-interop-version': '6' });
      return text('ok');
    });
    const r = await exchange(
      port,
      'GET / HTTP/1.1\r\nHost: a\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n',
      { responses: 2 },
    );
    expect(r.responses.map((x) => x.status)).toEqual([102, 104, 200, 102, 104, 200]);
    expect(r.raw).toContain('upload-draft-interop-version: 6\r\n');
  });

  it('throws RWS_CORE_INVALID_STATUS for 101, 200 or 99 and RWS_CORE_INVALID_HEADER for a bad field', async () => {
    const errors: unknown[] = [];
    const { port } = await start((req) => {
      for (const status of [101, 200, 99, 103.5]) {
        try {
          req.sendInformational?.(status);
        } catch (err) {
          errors.push(isRwsError(err, 'RWS_CORE_INVALID_STATUS'));
        }
      }
      try {
        req.sendInformational?.(103, { link: 'a\r\nx: y' });
      } catch (err) {
        errors.push(isRwsError(err, 'RWS_CORE_INVALID_HEADER'));
      }
      return text('ok');
    });
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(errors).toEqual([true, true, true, true, true]);
    expect(r.responses.map((x) => x.status)).toEqual([200]);
  });

  it('survives a middleware that rebuilds the request with createRequest', async () => {
    const { port } = await start((req) => {
      const rebuilt = createRequest({
        method: req.method,
        target: '/rewritten',
        headers: req.headers,
        sendInformational: req.sendInformational,
      });
      return text(`sent=${String(rebuilt.sendInformational?.(103, { link: LINK }))}`);
    });
    const r = await exchange(port, 'GET / HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n');
    expect(r.responses.map((x) => x.status)).toEqual([103, 200]);
    expect(r.responses[1]!.body).toBe('sent=true');
  });

  it('is absent on in-process requests, so writeEarlyHints returns false', () => {
    const req = createRequest({ method: 'GET', target: '/' });
    expect(req.sendInformational).toBeUndefined();
    expect(writeEarlyHints(req, { link: LINK })).toBe(false);
  });
});

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

  it('returns false for a request without the capability', () => {
    const req = { headers: new Headers() } as unknown as Request;
    expect(writeEarlyHints(req, { link: LINK })).toBe(false);
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
