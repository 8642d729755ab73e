/**
 * uploads-multipart — streamed `multipart/form-data` uploads with `readMultipart`: each file is
 * hashed while it arrives (never buffered whole), with per-file and per-request limits.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/uploads-multipart.ts
 * then open http://127.0.0.1:3000/ for a form, or:
 *   curl -F note=hello -F file=@README.md http://127.0.0.1:3000/upload
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { createHash } from 'node:crypto';
import { html, json } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp, readMultipart } from '@rws/router';

const app = createApp();

app.get('/', () =>
  html(`<!doctype html>
<title>upload</title>
<form method="post" action="/upload" enctype="multipart/form-data">
  <input name="note" placeholder="note"> <input type="file" name="file" multiple>
  <button>upload</button>
</form>`),
);

app.post('/upload', async (req) => {
  const fields: Record<string, string> = {};
  const files: { field: string; filename: string; type: string; bytes: number; sha256: string }[] =
    [];
  // Parts arrive in body order; the body is pulled from the client only as fast as we read.
  // Past a limit the iterator throws a 413 RwsError, which the App turns into a 413 response.
  for await (const part of readMultipart(req, { maxFileBytes: 5 * 1024 * 1024, maxFiles: 3 })) {
    if (part.kind === 'field') {
      fields[part.name] = part.value;
      continue;
    }
    const hash = createHash('sha256');
    let bytes = 0;
    for await (const chunk of part.stream) {
      hash.update(chunk);
      bytes += chunk.byteLength;
    }
    files.push({
      field: part.name,
      filename: part.filename,
      type: part.mimeType,
      bytes,
      sha256: hash.digest('hex'),
    });
  }
  return json({ fields, files }, { status: 201 });
});

// The transport-level cap for any body (default 1 MiB) must be above the multipart limits.
const server = createServer(app.handler, { maxBodyBytes: 20 * 1024 * 1024 });
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`uploads-multipart listening on http://127.0.0.1:${port}/`);
