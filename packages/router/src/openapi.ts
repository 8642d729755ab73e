/**
 * OpenAPI 3.1 document generation from an App's routes, and the offline API reference page.
 */
import { escapeHtml } from '@rws/core';
import { parsePath } from './internal/tree.js';
import type { StandardSchemaV1 } from './standard-schema.js';
import type { ResponseMeta, RouteMeta, RouteSchemas } from './types.js';

/** Options of `app.openapi()`. */
export interface OpenApiOptions {
  title: string;
  version: string;
  description?: string | undefined;
  servers?: readonly { url: string; description?: string | undefined }[] | undefined;
  /** Where the document is served. Default `/openapi.json`. */
  path?: string | undefined;
  /** Where the reference page is served, or false for none. Default `/docs`. */
  docsPath?: string | false | undefined;
  /**
   * Converts a schema to JSON Schema, e.g. `(s) => z.toJSONSchema(s)`. Without it, schemas
   * implementing Standard JSON Schema (`~standard.jsonSchema`, zod ≥ 4.2) convert themselves;
   * others become `{}` (any value).
   */
  toJSONSchema?:
    | ((schema: StandardSchemaV1, io: 'input' | 'output') => Record<string, unknown> | undefined)
    | undefined;
}

/** The route information the document is built from. */
export interface OpenApiRoute {
  readonly method: string;
  readonly path: string;
  readonly meta: RouteMeta;
  readonly schema: RouteSchemas;
}

const OPERATION_METHODS = new Set(['GET', 'PUT', 'POST', 'DELETE', 'OPTIONS', 'HEAD', 'PATCH']);

function isStandardSchema(value: unknown): value is StandardSchemaV1 {
  return typeof value === 'object' && value !== null && '~standard' in value;
}

/** JSON Schema of a Standard Schema, or `{}` when it cannot say. */
function schemaToJson(
  schema: StandardSchemaV1 | Record<string, unknown>,
  io: 'input' | 'output',
  options: Pick<OpenApiOptions, 'toJSONSchema'> = {},
): Record<string, unknown> {
  if (!isStandardSchema(schema)) return schema;
  let out: Record<string, unknown> | undefined;
  try {
    out = options.toJSONSchema?.(schema, io);
    if (out === undefined) out = schema['~standard'].jsonSchema?.[io]({ target: 'draft-2020-12' });
  } catch {
    out = undefined;
  }
  if (out === undefined) return {};
  // OpenAPI 3.1 schemas are JSON Schema 2020-12 already; the dialect marker is noise here.
  const { $schema: _dialect, ...rest } = out;
  return rest;
}

function propertiesOf(schema: Record<string, unknown>): {
  properties: Record<string, Record<string, unknown>>;
  required: string[];
} {
  const properties = (schema['properties'] ?? {}) as Record<string, Record<string, unknown>>;
  const required = Array.isArray(schema['required']) ? (schema['required'] as string[]) : [];
  return { properties, required };
}

/** Builds an OpenAPI 3.1 document. Path params `:id`/`*path` become `{id}`/`{path}`. */
export function buildOpenApiDocument(
  routes: readonly OpenApiRoute[],
  options: OpenApiOptions,
): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  for (const route of routes) {
    if (route.meta.hidden || !OPERATION_METHODS.has(route.method)) continue;
    let oaPath = '';
    const pathParams: string[] = [];
    for (const token of parsePath(route.path)) {
      if (token.kind === 'static') oaPath += token.text;
      else {
        oaPath += `{${token.name === '*' ? 'wildcard' : token.name}}`;
        pathParams.push(token.name === '*' ? 'wildcard' : token.name);
      }
    }
    const parameters: Record<string, unknown>[] = [];
    const paramsSchema = route.schema.params
      ? propertiesOf(schemaToJson(route.schema.params, 'input', options))
      : null;
    for (const name of pathParams) {
      parameters.push({
        name,
        in: 'path',
        required: true,
        schema: paramsSchema?.properties[name] ?? { type: 'string' },
      });
    }
    if (route.schema.query) {
      const { properties, required } = propertiesOf(
        schemaToJson(route.schema.query, 'input', options),
      );
      for (const [name, schema] of Object.entries(properties)) {
        parameters.push({ name, in: 'query', required: required.includes(name), schema });
      }
    }
    const meta = route.meta;
    const operation: Record<string, unknown> = {};
    if (meta.operationId ?? meta.name) operation['operationId'] = meta.operationId ?? meta.name;
    if (meta.summary) operation['summary'] = meta.summary;
    if (meta.description) operation['description'] = meta.description;
    if (meta.tags) operation['tags'] = [...meta.tags];
    if (meta.deprecated) operation['deprecated'] = true;
    if (parameters.length > 0) operation['parameters'] = parameters;
    if (route.schema.body) {
      operation['requestBody'] = {
        required: true,
        content: {
          'application/json': { schema: schemaToJson(route.schema.body, 'input', options) },
        },
      };
    }
    const responses: Record<string, unknown> = {};
    for (const [status, response] of Object.entries(meta.responses ?? {})) {
      responses[status] = responseObject(status, response, options);
    }
    if (Object.keys(responses).length === 0) responses['200'] = { description: 'OK' };
    if (route.schema.body || route.schema.query || route.schema.params) {
      responses['422'] ??= {
        description: 'Validation failed',
        content: { 'application/json': { schema: VALIDATION_ERROR_SCHEMA } },
      };
    }
    operation['responses'] = responses;
    paths[oaPath] ??= {};
    paths[oaPath]![route.method.toLowerCase()] = operation;
  }
  const info: Record<string, unknown> = { title: options.title, version: options.version };
  if (options.description) info['description'] = options.description;
  const doc: Record<string, unknown> = { openapi: '3.1.0', info };
  if (options.servers) doc['servers'] = options.servers.map((s) => ({ ...s }));
  doc['paths'] = paths;
  return doc;
}

const VALIDATION_ERROR_SCHEMA = {
  type: 'object',
  properties: {
    errors: {
      type: 'array',
      items: {
        type: 'object',
        properties: { path: { type: 'string' }, message: { type: 'string' } },
        required: ['path', 'message'],
      },
    },
  },
  required: ['errors'],
};

function responseObject(
  status: string,
  response: ResponseMeta,
  options: OpenApiOptions,
): Record<string, unknown> {
  const out: Record<string, unknown> = {
    description: response.description ?? (status.startsWith('2') ? 'OK' : 'Response'),
  };
  if (response.schema !== undefined) {
    out['content'] = {
      [response.contentType ?? 'application/json']: {
        schema: schemaToJson(response.schema, 'output', options),
      },
    };
  }
  return out;
}

/**
 * The API reference page: one self-contained HTML document (inline CSS and JS, no CDN) that
 * fetches the OpenAPI document and renders every operation as
 * `<details class="operation" id="op-<method>-<path with non-alphanumerics as ->">` with `.method`,
 * `.path`, `.summary`.
 * `#operations` gets `data-count` and `aria-busy="false"` once rendered.
 */
export function renderDocsPage(title: string, specPath: string): string {
  const specUrl = JSON.stringify(specPath).replaceAll('<', '\\u003c');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)} — API reference</title>
<style>
:root { font-family: system-ui, sans-serif; color: #1f2328; background: #fff; }
body { margin: 0 auto; max-width: 960px; padding: 1.5rem; }
h1 { margin: 0 0 .25rem; font-size: 1.6rem; }
#description { color: #57606a; }
.operation { border: 1px solid #d0d7de; border-radius: 6px; margin: .75rem 0; }
.operation > summary { cursor: pointer; padding: .6rem .8rem; display: flex; gap: .75rem; align-items: baseline; }
.method { font: 700 .8rem ui-monospace, monospace; text-transform: uppercase; padding: .15rem .45rem; border-radius: 4px; color: #fff; background: #6e7781; min-width: 4rem; text-align: center; }
.method-get { background: #1f6feb; } .method-post { background: #1a7f37; } .method-put { background: #9a6700; }
.method-patch { background: #8250df; } .method-delete { background: #cf222e; }
.path { font: .95rem ui-monospace, monospace; }
.summary { color: #57606a; }
.details { padding: 0 .8rem .8rem; }
table { border-collapse: collapse; width: 100%; font-size: .9rem; }
th, td { text-align: left; border-bottom: 1px solid #d8dee4; padding: .3rem; vertical-align: top; }
pre { background: #f6f8fa; padding: .6rem; overflow: auto; font-size: .8rem; }
.deprecated .path { text-decoration: line-through; }
</style>
</head>
<body>
<header><h1 id="title">${escapeHtml(title)}</h1><p id="description"></p></header>
<main id="operations" aria-busy="true">Loading…</main>
<script>
(function () {
  var SPEC_URL = ${specUrl};
  var METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch'];
  function el(tag, cls, text) {
    var node = document.createElement(tag);
    if (cls) node.className = cls;
    if (text !== undefined) node.textContent = text;
    return node;
  }
  function schemaBlock(label, schema) {
    var wrap = el('div', 'schema');
    wrap.appendChild(el('h4', null, label));
    wrap.appendChild(el('pre', null, JSON.stringify(schema, null, 2)));
    return wrap;
  }
  function render(spec) {
    var root = document.getElementById('operations');
    root.textContent = '';
    var info = spec.info || {};
    document.getElementById('title').textContent = (info.title || 'API') + (info.version ? ' ' + info.version : '');
    document.getElementById('description').textContent = info.description || '';
    var count = 0;
    var paths = spec.paths || {};
    Object.keys(paths).forEach(function (path) {
      var item = paths[path];
      METHODS.forEach(function (method) {
        var op = item[method];
        if (!op) return;
        count++;
        var section = el('details', 'operation' + (op.deprecated ? ' deprecated' : ''));
        section.id = 'op-' + method + '-' + path.replace(/[^A-Za-z0-9_-]+/g, '-').replace(/^-+|-+$/g, '');
        section.dataset.method = method;
        section.dataset.path = path;
        var head = el('summary');
        head.appendChild(el('span', 'method method-' + method, method.toUpperCase()));
        head.appendChild(el('code', 'path', path));
        if (op.summary) head.appendChild(el('span', 'summary', op.summary));
        section.appendChild(head);
        var body = el('div', 'details');
        if (op.description) body.appendChild(el('p', 'description', op.description));
        if (op.tags) body.appendChild(el('p', 'tags', 'Tags: ' + op.tags.join(', ')));
        if (op.parameters && op.parameters.length) {
          var table = el('table', 'parameters');
          var tr = el('tr');
          ['Name', 'In', 'Required', 'Schema'].forEach(function (h) { tr.appendChild(el('th', null, h)); });
          table.appendChild(tr);
          op.parameters.forEach(function (p) {
            var row = el('tr', 'parameter');
            row.appendChild(el('td', 'param-name', p.name));
            row.appendChild(el('td', null, p.in));
            row.appendChild(el('td', null, p.required ? 'yes' : 'no'));
            row.appendChild(el('td', null, JSON.stringify(p.schema || {})));
            table.appendChild(row);
          });
          body.appendChild(table);
        }
        if (op.requestBody && op.requestBody.content) {
          Object.keys(op.requestBody.content).forEach(function (type) {
            body.appendChild(schemaBlock('Request body (' + type + ')', op.requestBody.content[type].schema || {}));
          });
        }
        Object.keys(op.responses || {}).forEach(function (status) {
          var r = op.responses[status];
          var block = el('div', 'response');
          block.appendChild(el('h4', null, status + ' ' + (r.description || '')));
          if (r.content) Object.keys(r.content).forEach(function (type) {
            block.appendChild(el('pre', null, type + '\\n' + JSON.stringify(r.content[type].schema || {}, null, 2)));
          });
          body.appendChild(block);
        });
        section.appendChild(body);
        root.appendChild(section);
      });
    });
    if (count === 0) root.appendChild(el('p', 'empty', 'No operations.'));
    root.dataset.count = String(count);
    root.setAttribute('aria-busy', 'false');
  }
  fetch(SPEC_URL, { headers: { accept: 'application/json' } })
    .then(function (res) { if (!res.ok) throw new Error('HTTP ' + res.status); return res.json(); })
    .then(render)
    .catch(function (err) {
      var root = document.getElementById('operations');
      root.textContent = 'Could not load ' + SPEC_URL + ': ' + err.message;
      root.setAttribute('aria-busy', 'false');
      root.dataset.error = 'true';
    });
})();
</script>
</body>
</html>
`;
}
