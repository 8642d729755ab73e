/**
 * The JSON Schema (draft 2020-12) of rws.config.toml, derived from `CONFIG_KEYS` so editors
 * (Taplo / Even Better TOML) complete and check exactly what the resolver accepts.
 */
import { createGatewayJsonSchema, storageSourceJsonSchema } from '@rws/proxy';
import { DATABASE_JSON_SCHEMA } from '../database-config.js';
import type { ConfigKey } from './config-key.js';
import { CONFIG_KEYS, LEGACY_KEYS } from './schema.js';

type Json = Record<string, unknown>;

const SIZE_PATTERN = '^\\s*[0-9]+(\\.[0-9]+)?\\s*([bB]|[kKmMgG]([iI]?[bB])?)?\\s*$';
const BOOLEAN_WORDS = ['on', 'off', 'true', 'false', 'yes', 'no'];

function valueSchema(k: ConfigKey): Json {
  switch (k.type) {
    case 'string':
    case 'path':
      return { type: 'string', minLength: 1 };
    case 'ip':
      return { type: 'string', examples: ['127.0.0.1', '0.0.0.0', '::'] };
    case 'port':
      return { type: 'integer', minimum: 0, maximum: 65535 };
    case 'integer':
      return { type: 'integer', minimum: 0 };
    case 'boolean':
      return { anyOf: [{ type: 'boolean' }, { enum: BOOLEAN_WORDS }] };
    case 'list':
      return {
        anyOf: [
          { type: 'array', items: { type: 'string' } },
          { type: 'string', description: 'comma-separated' },
        ],
      };
    case 'size':
      return {
        anyOf: [
          { type: 'integer', minimum: 0 },
          { type: 'string', pattern: SIZE_PATTERN, examples: ['10mb', '512k', '1gib'] },
        ],
      };
    case 'enum':
      return { enum: [...k.values] };
    case 'workers':
      return { anyOf: [{ type: 'integer', minimum: 1, maximum: 1024 }, { const: 'auto' }] };
    case 'address':
      return {
        anyOf: [
          { type: 'integer', minimum: 0, maximum: 65535 },
          { type: 'string', examples: ['127.0.0.1:9100', '[::1]:9100'] },
        ],
      };
    case 'endpoint':
      return {
        anyOf: [{ type: 'string', pattern: '^/' }, { const: false }, { const: 'off' }],
      };
    case 'headers':
      return {
        type: 'object',
        additionalProperties: { type: 'string' },
        examples: [{ 'X-Frame-Options': 'DENY' }],
      };
    case 'credentials':
      return {
        anyOf: [
          { type: 'array', items: { type: 'string', pattern: '^[^:]+:.+$' } },
          {
            type: 'object',
            additionalProperties: { type: 'string', minLength: 1 },
            propertyNames: { pattern: '^[^:]+$' },
          },
        ],
        examples: [['admin:change-me']],
      };
    case 'storage':
      return storageSourceJsonSchema(k.description, true);
    case 'virtualHosts':
      return {
        type: 'array',
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['domain', 'cert_file', 'key_file'],
          properties: {
            domain: { type: 'string', minLength: 1, description: 'SNI server name.' },
            cert_file: { type: 'string', minLength: 1, description: 'PEM certificate chain.' },
            key_file: { type: 'string', minLength: 1, description: 'PEM private key.' },
          },
        },
      };
  }
}

function property(k: ConfigKey, description = k.description): Json {
  const schema: Json = { description, ...valueSchema(k) };
  const isEmpty =
    (Array.isArray(k.default) && k.default.length === 0) ||
    (typeof k.default === 'object' && k.default !== null && Object.keys(k.default).length === 0);
  if (k.default !== null && !isEmpty) {
    schema['default'] = k.default;
  }
  return schema;
}

const TABLE_DESCRIPTIONS: Record<string, string> = {
  cors: 'CORS settings.',
  acme: 'Certificates from an ACME CA (RFC 8555).',
};

/** Builds the schema object. */
export function createJsonSchema(): Json {
  const properties: Json = {};
  // Keys written `table.key` (cors.*, acme.*) live in a TOML table, so in the schema they are
  // properties of that table's object, not dotted top-level names.
  const tables = new Map<string, Json>();
  for (const k of CONFIG_KEYS) {
    if (k.toml === null) continue;
    const dot = k.toml.indexOf('.');
    if (dot === -1) properties[k.toml] = property(k);
    else {
      const table = k.toml.slice(0, dot);
      const sub = tables.get(table) ?? {};
      sub[k.toml.slice(dot + 1)] = property(k);
      tables.set(table, sub);
    }
    for (const alias of k.tomlAliases) {
      const [table, sub] = k.toml.split('.');
      properties[alias] = property(k, `${k.description} (flat form of [${table}] ${sub})`);
    }
  }
  for (const [table, sub] of tables) {
    properties[table] = {
      type: 'object',
      description: TABLE_DESCRIPTIONS[table] ?? `[${table}] settings.`,
      additionalProperties: false,
      properties: sub,
    };
  }
  properties['database'] = DATABASE_JSON_SCHEMA;
  // The gateway sections come from @rws/proxy, which validates them.
  Object.assign(properties, createGatewayJsonSchema());
  // [admin] is shared: the gateway's reload keys and rws's own (listen, mcp_token).
  const gatewayAdmin = properties['admin'] as Json | undefined;
  const ownAdmin = tables.get('admin');
  if (gatewayAdmin !== undefined && ownAdmin !== undefined) {
    properties['admin'] = {
      ...gatewayAdmin,
      description: '[admin]: the admin listener, its MCP endpoint and the reload endpoint.',
      properties: { ...(gatewayAdmin['properties'] as Json), ...ownAdmin },
    };
  }
  for (const [name, why] of Object.entries(LEGACY_KEYS)) {
    properties[name] = { description: `${name} ${why}`, deprecated: true };
  }
  const sorted: Json = {};
  for (const name of Object.keys(properties).sort()) sorted[name] = properties[name];
  return {
    $schema: 'https://json-schema.org/draft/2020-12/schema',
    $id: 'https://unpkg.com/@rws/cli/schema/rws.config.schema.json',
    title: 'rws.config.toml',
    description: 'Configuration of the rws server. Generated from @rws/cli CONFIG_KEYS.',
    type: 'object',
    additionalProperties: false,
    properties: sorted,
  };
}

/** The schema as the committed file's text. */
export function renderJsonSchema(): string {
  return `${JSON.stringify(createJsonSchema(), null, 2)}\n`;
}
