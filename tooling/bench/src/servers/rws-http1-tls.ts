/** @rws/http1 serving a core Handler over TLS (pinned cipher), hello world on 127.0.0.1:$PORT. */
import { text } from '@rws/core';
import { createServer } from '@rws/http1';
import { pinnedTlsOptions } from './tls-pinned.js';

const port = Number(process.env['PORT'] ?? 3000);
const server = createServer(() => text('Hello, World!'), { tls: pinnedTlsOptions() });
await server.listen({ port, host: '127.0.0.1' });
