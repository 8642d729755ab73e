/** A hand-written 2026-07-28 client: the request shapes of the specification's examples. */
export const MODERN = '2026-07-28';
export const CLIENT_INFO = { name: 'ExampleClient', version: '1.0.0' };

/** `_meta` of a modern request (Base protocol, "_meta"). */
export function meta(
  extra: Record<string, unknown> = {},
  capabilities: object = {},
): Record<string, unknown> {
  return {
    'io.modelcontextprotocol/protocolVersion': MODERN,
    'io.modelcontextprotocol/clientInfo': CLIENT_INFO,
    'io.modelcontextprotocol/clientCapabilities': capabilities,
    ...extra,
  };
}

/** The standard headers a conforming client mirrors from the body (Streamable HTTP). */
export function standardHeaders(
  method: string,
  params: Record<string, unknown>,
): Record<string, string> {
  const headers: Record<string, string> = {
    'content-type': 'application/json',
    accept: 'application/json, text/event-stream',
    'mcp-protocol-version': MODERN,
    'mcp-method': method,
  };
  const name = params['name'] ?? params['uri'];
  if (
    typeof name === 'string' &&
    ['tools/call', 'prompts/get', 'resources/read'].includes(method)
  ) {
    headers['mcp-name'] = name;
  }
  return headers;
}

export interface Rpc {
  status: number;
  headers: Headers;
  body: {
    jsonrpc: '2.0';
    id: unknown;
    result?: Record<string, unknown>;
    error?: { code: number; message: string; data?: Record<string, unknown> };
  };
}

let nextId = 1;

/** POSTs one modern request; `headers` override or (null) drop the standard ones. */
export async function modernCall(
  url: string,
  method: string,
  params: Record<string, unknown> = {},
  options: {
    capabilities?: object;
    meta?: Record<string, unknown>;
    headers?: Record<string, string | null>;
    signal?: AbortSignal;
  } = {},
): Promise<Rpc> {
  const full = { ...params, _meta: meta(options.meta, options.capabilities) };
  const headers = standardHeaders(method, full);
  for (const [k, v] of Object.entries(options.headers ?? {})) {
    if (v === null) delete headers[k];
    else headers[k] = v;
  }
  const res = await fetch(url, {
    method: 'POST',
    headers,
    body: JSON.stringify({ jsonrpc: '2.0', id: nextId++, method, params: full }),
    signal: options.signal ?? null,
  });
  const type = res.headers.get('content-type') ?? '';
  if (type.startsWith('text/event-stream')) {
    const events = await sseData(res);
    return { status: res.status, headers: res.headers, body: events.at(-1) as Rpc['body'] };
  }
  return { status: res.status, headers: res.headers, body: (await res.json()) as Rpc['body'] };
}

/** The `data:` payloads of a finished SSE body. */
export async function sseData(res: Response): Promise<unknown[]> {
  const text = await res.text();
  return text
    .split('\n')
    .filter((l) => l.startsWith('data: '))
    .map((l) => JSON.parse(l.slice(6)));
}

/** Reads SSE messages one at a time from a live stream. */
export function sseReader(res: Response): { next(): Promise<Record<string, unknown>> } {
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buffer = '';
  const queue: Record<string, unknown>[] = [];
  return {
    async next() {
      while (queue.length === 0) {
        const { value, done } = await reader.read();
        if (done) throw new Error('stream ended');
        buffer += decoder.decode(value, { stream: true });
        let cut = buffer.indexOf('\n\n');
        while (cut !== -1) {
          const block = buffer.slice(0, cut);
          buffer = buffer.slice(cut + 2);
          const data = block
            .split('\n')
            .filter((l) => l.startsWith('data: '))
            .map((l) => l.slice(6))
            .join('\n');
          if (data !== '') queue.push(JSON.parse(data));
          cut = buffer.indexOf('\n\n');
        }
      }
      return queue.shift() as Record<string, unknown>;
    },
  };
}
