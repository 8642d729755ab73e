/**
 * Keys of how requests are answered: CORS, body limit, access log, static files (SPA fallback,
 * listing, caching, dotfiles, compression), response headers and basic auth.
 */
import type { KeyInit } from './config-key.js';

/** CORS, logging, static-file, header and auth keys, in `--help` order. */
export const SITE_KEYS: readonly KeyInit[] = [
  {
    path: 'cors.allowAll',
    short: 'a',
    type: 'boolean',
    // Off by default, as in serve and http-server (rust-web-server turned it on): a local
    // file server must not let every web page the user visits read its files.
    default: false,
    placeholder: '[bool]',
    description:
      'CORS for any origin: Access-Control-Allow-Origin: * (the Origin echoed with Vary: Origin under --cors-allow-credentials), any method and header.',
    isReloadable: true,
  },
  {
    path: 'cors.allowOrigins',
    short: 'o',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description:
      'Comma-separated origins allowed (CORS is off while this is empty and --cors-allow-all is off).',
    isReloadable: true,
  },
  {
    path: 'cors.allowMethods',
    short: 'm',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated methods for Access-Control-Allow-Methods.',
    isReloadable: true,
  },
  {
    // No short flag: -h is --help (the reference used -h here; help wins).
    path: 'cors.allowHeaders',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated headers for Access-Control-Allow-Headers (no short flag).',
    isReloadable: true,
  },
  {
    path: 'cors.allowCredentials',
    short: 'c',
    type: 'boolean',
    default: false,
    placeholder: '[bool]',
    description: 'Send Access-Control-Allow-Credentials: true.',
    isReloadable: true,
  },
  {
    path: 'cors.exposeHeaders',
    short: 'e',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated headers for Access-Control-Expose-Headers.',
    isReloadable: true,
  },
  {
    path: 'cors.maxAge',
    short: 'g',
    type: 'integer',
    default: 86400,
    placeholder: '<seconds>',
    description: 'Access-Control-Max-Age of preflight responses, in seconds.',
    isReloadable: true,
  },
  {
    path: 'maxBodySize',
    envAliases: ['RWS_CONFIG_MAX_BODY_SIZE_IN_BYTES'],
    type: 'size',
    default: 0,
    placeholder: '<size>',
    description: 'Largest request body (bytes, or 10mb, 512k, 1gib); 0 = no global cap.',
    isReloadable: true,
  },
  {
    path: 'logFormat',
    type: 'enum',
    values: ['auto', 'json', 'combined', 'pretty'],
    default: 'auto',
    placeholder: '<format>',
    description:
      'Access log format: auto (pretty on a terminal, json otherwise), json, combined (Apache/nginx) or pretty.',
    isReloadable: true,
  },
  {
    path: 'accessLog',
    type: 'string',
    default: 'stdout',
    placeholder: 'off|stdout|stderr|<file>',
    description:
      'Where access-log lines go: off, stdout, stderr, or a file (appended to; written in batches, flushed every 100 ms and on exit).',
    isReloadable: false,
  },
  {
    path: 'spaFallback',
    type: 'string',
    default: null,
    placeholder: '<file>',
    description: 'File under the root served for extension-less GET/HEAD that match nothing.',
    isReloadable: true,
  },
  {
    path: 'spaFallbackExcludePrefixes',
    type: 'list',
    default: [],
    placeholder: '<list>',
    description: 'Comma-separated path prefixes that never get the SPA fallback (e.g. /api).',
    isReloadable: true,
  },
  {
    path: 'directoryListing',
    type: 'boolean',
    default: true,
    placeholder: 'on|off',
    description: 'List directories that have no index.html.',
    isReloadable: true,
  },
  {
    path: 'cacheMaxAge',
    type: 'integer',
    default: 0,
    placeholder: '<seconds>',
    description:
      'Cache-Control of files: public, max-age=<seconds>; 0 = max-age=0, must-revalidate (always revalidate).',
    isReloadable: true,
  },
  {
    path: 'cacheImmutable',
    type: 'boolean',
    default: false,
    placeholder: '[bool]',
    description:
      'Fingerprinted file names (app.3f9a1c2b.js, index-BqjV9TxC.js) get Cache-Control: public, max-age=31536000, immutable.',
    isReloadable: true,
  },
  {
    path: 'dotfiles',
    type: 'enum',
    values: ['ignore', 'deny', 'allow'],
    default: 'ignore',
    placeholder: '<policy>',
    description:
      'Paths with a segment starting with ".": ignore (404, not listed), deny (403) or allow (served and listed).',
    isReloadable: true,
  },
  {
    path: 'compression',
    type: 'boolean',
    default: true,
    placeholder: 'on|off',
    description:
      'Compress text files and listings (br, zstd, gzip per Accept-Encoding) and serve .br/.zst/.gz siblings.',
    isReloadable: true,
  },
  {
    path: 'headers',
    flag: 'header',
    type: 'headers',
    default: {},
    placeholder: '"Name: value"',
    description:
      'A header set on every response; repeatable. TOML: a [headers] table; env: one "Name: value" per line.',
    isReloadable: true,
  },
  {
    path: 'basicAuth',
    type: 'credentials',
    default: {},
    placeholder: '<user:password>',
    description:
      'Basic auth for the whole site (401 without it); repeatable. TOML: a list of "user:password" or a [basic_auth] table; env: one per line. Prefer --basic-auth-file.',
    isReloadable: true,
  },
  {
    path: 'basicAuthFile',
    type: 'path',
    default: null,
    placeholder: '<file>',
    description:
      'htpasswd file (bcrypt $2y$, $apr1$, {SHA256}, {SHA} or plain lines) whose users may access the site.',
    isReloadable: true,
  },
  {
    path: 'basicAuthRealm',
    type: 'string',
    default: 'Restricted',
    placeholder: '<realm>',
    description: 'Realm of the basic-auth challenge (WWW-Authenticate: Basic realm="…").',
    isReloadable: true,
  },
];
