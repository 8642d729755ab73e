import { json } from '@rws/core';
import { describe, expect, it } from 'vitest';
import { type AppLogger, createApp, type MultipartOptions, readMultipart } from '../src/index.js';

/** Parsed JSON of a test response (shape asserted by the test). */
// biome-ignore lint/suspicious/noExplicitAny: tests assert the JSON shape themselves.
async function bodyOf(res: globalThis.Response): Promise<any> {
  return res.json();
}

const quiet: AppLogger = { error() {} };

/** A real multipart body, encoded by the platform's own FormData serializer. */
async function encode(form: FormData): Promise<{ body: Uint8Array; contentType: string }> {
  const res = new Response(form);
  return {
    body: new Uint8Array(await res.arrayBuffer()),
    contentType: res.headers.get('content-type')!,
  };
}

function uploadApp(limits: MultipartOptions = {}) {
  const app = createApp({ logger: quiet });
  app.post('/upload', async (req) => {
    const parts: unknown[] = [];
    for await (const part of readMultipart(req, limits)) {
      if (part.kind === 'field') parts.push({ field: part.name, value: part.value });
      else {
        let size = 0;
        let first = -1;
        for await (const chunk of part.stream) {
          if (first === -1 && chunk.byteLength > 0) first = chunk[0]!;
          size += chunk.byteLength;
        }
        parts.push({ file: part.name, filename: part.filename, type: part.mimeType, size, first });
      }
    }
    return json(parts);
  });
  app.post('/skip', async (req) => {
    const names: string[] = [];
    for await (const part of readMultipart(req)) names.push(part.name);
    return json(names);
  });
  app.post('/text', async (req) => {
    const out: Record<string, string> = {};
    for await (const part of readMultipart(req)) {
      out[part.name] = part.kind === 'file' ? await part.text() : part.value;
    }
    return json(out);
  });
  return app;
}

async function post(app: ReturnType<typeof uploadApp>, path: string, form: FormData) {
  const { body, contentType } = await encode(form);
  return app.request(path, { method: 'POST', headers: { 'content-type': contentType }, body });
}

describe('multipart', () => {
  it('streams fields and files in order', async () => {
    const form = new FormData();
    form.append('title', 'holiday');
    const big = new Uint8Array(300_000).fill(7);
    form.append('photo', new Blob([big], { type: 'image/png' }), 'beach.png');
    form.append('note', 'caf\u00e9');
    form.append('doc', new Blob(['hello'], { type: 'text/plain' }), 'a.txt');
    const res = await post(uploadApp(), '/upload', form);
    expect(res.status).toBe(200);
    expect(await bodyOf(res)).toEqual([
      { field: 'title', value: 'holiday' },
      { file: 'photo', filename: 'beach.png', type: 'image/png', size: 300_000, first: 7 },
      { field: 'note', value: 'café' },
      { file: 'doc', filename: 'a.txt', type: 'text/plain', size: 5, first: 104 },
    ]);
  });

  it('skips files the handler does not read', async () => {
    const form = new FormData();
    form.append('a', new Blob([new Uint8Array(200_000)]), 'a.bin');
    form.append('b', 'x');
    form.append('c', new Blob(['c']), 'c.txt');
    const res = await post(uploadApp(), '/skip', form);
    expect(await bodyOf(res)).toEqual(['a', 'b', 'c']);
  });

  it('reads whole files with text()', async () => {
    const form = new FormData();
    form.append('f', new Blob(['file body']), 'f.txt');
    form.append('g', 'field');
    expect(await bodyOf(await post(uploadApp(), '/text', form))).toEqual({
      f: 'file body',
      g: 'field',
    });
  });

  const limitCases: [string, MultipartOptions, (f: FormData) => void, number, string][] = [
    [
      'maxFileBytes',
      { maxFileBytes: 1000 },
      (f) => f.append('f', new Blob([new Uint8Array(5000)]), 'big.bin'),
      413,
      'RWS_ROUTER_MULTIPART_FILE_TOO_LARGE',
    ],
    [
      'maxFiles',
      { maxFiles: 1 },
      (f) => {
        f.append('a', new Blob(['1']), 'a');
        f.append('b', new Blob(['2']), 'b');
      },
      413,
      'RWS_ROUTER_MULTIPART_TOO_MANY_FILES',
    ],
    [
      'maxFields',
      { maxFields: 2 },
      (f) => {
        for (let i = 0; i < 3; i++) f.append(`f${i}`, 'v');
      },
      413,
      'RWS_ROUTER_MULTIPART_TOO_MANY_FIELDS',
    ],
    [
      'maxFieldBytes',
      { maxFieldBytes: 10 },
      (f) => f.append('f', 'x'.repeat(50)),
      413,
      'RWS_ROUTER_MULTIPART_FIELD_TOO_LARGE',
    ],
    [
      'maxParts',
      { maxParts: 2 },
      (f) => {
        f.append('a', '1');
        f.append('b', new Blob(['2']), 'b');
        f.append('c', '3');
      },
      413,
      'RWS_ROUTER_MULTIPART_TOO_MANY_PARTS',
    ],
  ];
  for (const [limit, options, fill, status, code] of limitCases) {
    it(`enforces ${limit}`, async () => {
      const form = new FormData();
      fill(form);
      const res = await post(uploadApp(options), '/upload', form);
      expect(res.status).toBe(status);
      const body = await bodyOf(res);
      expect(body.error.code).toBe(code);
      expect(body.error.message).toContain(limit);
    });
  }

  it('a handler may stop after the first part', async () => {
    const app = createApp({ logger: quiet });
    app.post('/first', async (req) => {
      for await (const part of readMultipart(req)) {
        return json({ first: part.name });
      }
      return json({ first: null });
    });
    const form = new FormData();
    form.append('a', 'x');
    form.append('b', new Blob([new Uint8Array(300_000)]), 'b.bin');
    const { body, contentType } = await encode(form);
    const res = await app.request('/first', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body,
    });
    expect(await bodyOf(res)).toEqual({ first: 'a' });
  });

  it('rejects a non-multipart Content-Type with 415', async () => {
    const res = await uploadApp().request('/upload', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{}',
    });
    expect(res.status).toBe(415);
  });

  it('rejects a missing boundary with 400', async () => {
    const res = await uploadApp().request('/upload', {
      method: 'POST',
      headers: { 'content-type': 'multipart/form-data' },
      body: 'x',
    });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error.code).toBe('RWS_ROUTER_MULTIPART_INVALID');
  });

  it('rejects a truncated body with 400', async () => {
    const form = new FormData();
    form.append('f', new Blob([new Uint8Array(1000)]), 'f.bin');
    const { body, contentType } = await encode(form);
    const res = await uploadApp().request('/upload', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: body.subarray(0, 500),
    });
    expect(res.status).toBe(400);
    expect((await bodyOf(res)).error.code).toBe('RWS_ROUTER_MULTIPART_INVALID');
  });

  it('pulls a streamed body chunk by chunk', async () => {
    const form = new FormData();
    form.append('f', new Blob([new Uint8Array(100_000).fill(1)]), 'f.bin');
    const { body, contentType } = await encode(form);
    let offset = 0;
    const stream = new ReadableStream<Uint8Array>({
      pull(controller) {
        if (offset >= body.byteLength) return controller.close();
        controller.enqueue(body.slice(offset, offset + 997));
        offset += 997;
      },
    });
    const res = await uploadApp().request('/upload', {
      method: 'POST',
      headers: { 'content-type': contentType },
      body: stream,
      duplex: 'half',
    } as RequestInit);
    expect(await bodyOf(res)).toEqual([
      { file: 'f', filename: 'f.bin', type: 'application/octet-stream', size: 100_000, first: 1 },
    ]);
  });
});
