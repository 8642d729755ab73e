/**
 * validation-zod — Standard Schema validation with zod on params, query and body, an OpenAPI
 * 3.1 document built from the routes, and the offline reference page at /docs.
 *
 * Run from the repository root:
 *   npx pnpm@10.34.8 exec tsx --conditions=@rws/source examples/validation-zod.ts
 * then:
 *   curl -d '{"title":"write docs","priority":2}' -H 'content-type: application/json' \
 *     http://127.0.0.1:3000/todos
 *   curl -d '{"title":""}' -H 'content-type: application/json' http://127.0.0.1:3000/todos  # 422
 *   curl 'http://127.0.0.1:3000/todos?limit=1'
 *   curl http://127.0.0.1:3000/openapi.json
 *   open http://127.0.0.1:3000/docs
 *
 * PORT sets the port (default 3000; 0 picks a free one). The real URL is printed on start.
 */
import { HttpError, json } from '@rws/core';
import { createServer } from '@rws/http1';
import { createApp } from '@rws/router';
import { z } from 'zod';

const Todo = z.object({
  title: z.string().min(1).max(200),
  priority: z.number().int().min(1).max(5).default(3),
});

const app = createApp({ state: { todos: [] as (z.output<typeof Todo> & { id: number })[] } });

app.post(
  '/todos',
  {
    schema: { body: Todo },
    meta: {
      summary: 'Create a todo',
      tags: ['todos'],
      responses: { '201': { description: 'Created' } },
    },
  },
  (req) => {
    // req.valid.body is the schema's output type: { title: string; priority: number }.
    const todo = { id: req.state.todos.length + 1, ...req.valid.body };
    req.state.todos.push(todo);
    return json(todo, { status: 201 });
  },
);

app.get(
  '/todos',
  {
    schema: { query: z.object({ limit: z.coerce.number().int().min(1).max(100).default(20) }) },
    meta: { summary: 'List todos', tags: ['todos'] },
  },
  (req) => json(req.state.todos.slice(0, req.valid.query.limit)),
);

app.get(
  '/todos/:id',
  {
    // A params schema replaces req.params with its output: here `id` becomes a number.
    schema: { params: z.object({ id: z.coerce.number().int().positive() }) },
    meta: { summary: 'Get one todo', tags: ['todos'] },
  },
  (req) => {
    const todo = req.state.todos.find((t) => t.id === req.params.id);
    if (!todo) throw new HttpError(404, `no todo ${req.params.id}`);
    return json(todo);
  },
);

// GET /openapi.json and GET /docs (self-contained HTML, works offline).
// zod 4 schemas convert themselves to JSON Schema (Standard JSON Schema); other libraries can
// pass `toJSONSchema`.
app.openapi({ title: 'Todos', version: '1.0.0' });

const server = createServer(app.handler);
const { port } = await server.listen({ port: Number(process.env['PORT'] ?? 3000) });
console.log(`validation-zod listening on http://127.0.0.1:${port}/ (docs at /docs)`);
