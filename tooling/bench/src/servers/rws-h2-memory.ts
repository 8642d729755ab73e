/**
 * Subject of `pnpm bench h2-memory`: @rws/server `serve()` with h2c (prior knowledge) on
 * 127.0.0.1:$PORT. `/100m.bin` is the generated 100 MiB file of STATIC_ROOT as a file body
 * (read in 64 KiB chunks within the flow-control windows); anything else `Hello, World!`.
 */
import { join } from 'node:path';
import { file, text } from '@rws/core';
import { serve } from '@rws/server';

const port = Number(process.env['PORT'] ?? 3000);
const root = process.env['STATIC_ROOT'] ?? '.';

await serve(
  (req) => (req.path === '/100m.bin' ? file(join(root, '100m.bin')) : text('Hello, World!')),
  { host: '127.0.0.1', port, h2c: true, handleSignals: true },
);
