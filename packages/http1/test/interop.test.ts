/** Real peers: node:http (keep-alive agent), global fetch (undici) and curl. */
import { execFile } from 'node:child_process';
import { Agent, request } from 'node:http';
import { promisify } from 'node:util';
import { Headers } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { start, text } from './helpers.js';

const run = promisify(execFile);

async function startApp() {
  return start(async (req) => {
    if (req.path === '/stream') {
      return {
        status: 200,
        headers: new Headers({ 'content-type': 'text/plain' }),
        body: (async function* () {
          for (let i = 0; i < 3; i++) yield Buffer.from(`part${i};`);
        })(),
        trailers: new Headers({ 'x-done': 'yes' }),
      };
    }
    const body = await req.body.text();
    return text(`${req.method} ${req.target} ${body} conn=${req.conn.id}`, 200, {
      'x-echo': req.headers.get('x-in') ?? '',
    });
  });
}

describe('interop', () => {
  it('node:http with a keep-alive agent reuses one connection', async () => {
    const { port } = await startApp();
    const agent = new Agent({ keepAlive: true, maxSockets: 1 });
    const get = (path: string, body?: string) =>
      new Promise<{ status: number; body: string; headers: Record<string, unknown> }>(
        (resolve, reject) => {
          const req = request(
            {
              host: '127.0.0.1',
              port,
              path,
              agent,
              method: body ? 'POST' : 'GET',
              headers: { 'x-in': 'v' },
            },
            (res) => {
              let data = '';
              res.setEncoding('utf8');
              res.on('data', (d) => {
                data += d;
              });
              res.on('end', () =>
                resolve({ status: res.statusCode!, body: data, headers: res.headers }),
              );
            },
          );
          req.on('error', reject);
          req.end(body);
        },
      );
    const a = await get('/a');
    const b = await get('/b', 'payload');
    const s = await get('/stream');
    agent.destroy();
    expect(a.status).toBe(200);
    expect(a.headers['x-echo']).toBe('v');
    expect(b.body.startsWith('POST /b payload')).toBe(true);
    expect(a.body.split('conn=')[1]).toBe(b.body.split('conn=')[1]);
    expect(s.body).toBe('part0;part1;part2;');
  });

  it('fetch (undici) streams request and response bodies', async () => {
    const { url } = await startApp();
    const res = await fetch(`${url}/x?y=1`, {
      method: 'PUT',
      body: new ReadableStream({
        start(c) {
          c.enqueue(new TextEncoder().encode('chunked-'));
          c.enqueue(new TextEncoder().encode('upload'));
          c.close();
        },
      }),
      duplex: 'half',
    } as RequestInit);
    expect(res.status).toBe(200);
    expect((await res.text()).startsWith('PUT /x?y=1 chunked-upload')).toBe(true);
    const stream = await fetch(`${url}/stream`);
    expect(await stream.text()).toBe('part0;part1;part2;');
  });

  it('curl: keep-alive across URLs, POST, HEAD, 100-continue and trailers', async () => {
    const { url } = await startApp();
    const { stdout, stderr } = await run('curl', ['-sv', `${url}/one`, `${url}/two`]);
    expect(stdout).toContain('GET /one');
    expect(stdout).toContain('GET /two');
    expect(stderr).toMatch(/Re-using existing connection/);
    const post = await run('curl', [
      '-s',
      '-H',
      'Expect: 100-continue',
      '--data-binary',
      'hello',
      `${url}/p`,
    ]);
    expect(post.stdout.startsWith('POST /p hello')).toBe(true);
    const head = await run('curl', ['-sI', `${url}/h`]);
    expect(head.stdout).toMatch(/^HTTP\/1\.1 200 OK/);
    expect(head.stdout).toMatch(/content-length: \d+/);
    const chunked = await run('curl', ['-s', '--raw', `${url}/stream`]);
    expect(chunked.stdout).toContain('x-done: yes');
  });
});
