import type { Handler } from '@rws/core';
import { createServer } from '@rws/http1';
import { onTestFinished } from 'vitest';

// The client side is shared with the other packages' tests.
export { type HttpResult, httpCall } from '@rws/test-helpers';

/**
 * A handler served by @rws/http1 on 127.0.0.1 port 0, closed when the test ends. (Not in
 * @rws/test-helpers: @rws/http1's own tests depend on that package, so it cannot depend on
 * @rws/http1.)
 */
export async function serveHandler(handler: Handler): Promise<number> {
  const server = createServer(handler, { onError: () => {} });
  const { port } = await server.listen({ port: 0, host: '127.0.0.1' });
  onTestFinished(() => server.close({ graceMs: 100 }));
  return port;
}
