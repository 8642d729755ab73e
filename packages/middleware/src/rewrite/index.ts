/**
 * `rewrite()`: nginx-style request and response rewriting. Request rules set or remove
 * headers, replace the URI, strip or add a path prefix, or rewrite the path with a regular
 * expression (capture groups `$1`…) and optionally answer a redirect; response rules set or
 * remove headers, override the status and replace bytes in the body as it streams.
 *
 * @module
 */
import { createReadStream } from 'node:fs';
import {
  type BodyInit,
  type FileBodyInit,
  type Handler,
  Headers,
  isToken,
  type Middleware,
  type Request,
  type Response,
} from '@rws/core';
import { ERROR_CODES } from '../errors.js';
import { deriveRequest } from '../internal/derive-request.js';
import { failOptions } from '../internal/fail.js';

/** A rule applied to the request, in order. */
export type RequestRewriteRule =
  | { readonly type: 'setHeader'; readonly name: string; readonly value: string }
  | { readonly type: 'removeHeader'; readonly name: string }
  /** Replaces the whole request-target (path and query). */
  | { readonly type: 'setUri'; readonly value: string }
  /** Removes a leading path prefix (`/api` turns `/api/x` into `/x` and `/api` into `/`). */
  | { readonly type: 'stripPrefix'; readonly prefix: string }
  | { readonly type: 'addPrefix'; readonly prefix: string }
  /**
   * Rewrites the path when `pattern` matches (the query is kept unless the replacement has
   * one). With `redirect`, answers that status with the result as `Location` instead.
   */
  | {
      readonly type: 'regex';
      readonly pattern: string | RegExp;
      readonly replacement: string;
      readonly redirect?: 301 | 302 | 303 | 307 | 308 | undefined;
    };

/** A rule applied to the response, in order. */
export type ResponseRewriteRule =
  | { readonly type: 'setHeader'; readonly name: string; readonly value: string }
  | { readonly type: 'removeHeader'; readonly name: string }
  | { readonly type: 'status'; readonly code: number }
  /**
   * Replaces every occurrence of `from` by `to` in the body, streamed (bodies with a
   * `Content-Encoding` are left alone: their bytes are not the text).
   */
  | { readonly type: 'replaceBody'; readonly from: string; readonly to: string };

/** Options of `rewrite()`. */
export interface RewriteOptions {
  request?: readonly RequestRewriteRule[] | undefined;
  response?: readonly ResponseRewriteRule[] | undefined;
}

type ReqStep = (state: {
  target: string;
  headers: Headers | null;
  req: Request;
}) => Response | null;
type ResStep = (res: Response) => void;

function fail(message: string): never {
  failOptions(ERROR_CODES.REWRITE_INVALID_OPTIONS, 'rewrite', message);
}

function checkName(name: unknown, where: string): string {
  if (typeof name !== 'string' || !isToken(name)) fail(`${where}: name must be a header name`);
  return name.toLowerCase();
}

function checkValue(value: unknown, where: string): string {
  // A header value: no line break, and a byte string (no char above 0xFF).
  if (typeof value !== 'string' || /[\r\n\0\u0100-\uffff]/.test(value)) {
    fail(`${where}: value must be a string without CR, LF, NUL or chars above U+00FF`);
  }
  return value;
}

function checkPath(value: unknown, where: string): string {
  if (typeof value !== 'string' || !value.startsWith('/') || /[\s?#]/.test(value)) {
    fail(`${where}: must be a path starting with "/" (no spaces, "?" or "#")`);
  }
  return value.endsWith('/') && value.length > 1 ? value.slice(0, -1) : value;
}

function splitTarget(target: string): [string, string] {
  const q = target.indexOf('?');
  return q === -1 ? [target, ''] : [target.slice(0, q), target.slice(q)];
}

function compileRequest(rule: RequestRewriteRule, i: number): ReqStep {
  const where = `request[${i}]`;
  switch (rule?.type) {
    case 'setHeader': {
      const name = checkName(rule.name, where);
      const value = checkValue(rule.value, where);
      return (s) => {
        s.headers ??= copyHeaders(s.req.headers);
        s.headers.set(name, value);
        return null;
      };
    }
    case 'removeHeader': {
      const name = checkName(rule.name, where);
      return (s) => {
        s.headers ??= copyHeaders(s.req.headers);
        s.headers.delete(name);
        return null;
      };
    }
    case 'setUri': {
      const value = rule.value;
      if (typeof value !== 'string' || !value.startsWith('/') || /[\s#]/.test(value)) {
        fail(`${where}: value must be an origin-form target starting with "/"`);
      }
      return (s) => {
        s.target = value;
        return null;
      };
    }
    case 'stripPrefix': {
      const prefix = checkPath(rule.prefix, `${where}.prefix`);
      return (s) => {
        const [path, query] = splitTarget(s.target);
        if (path === prefix) s.target = `/${query}`;
        else if (path.startsWith(`${prefix}/`)) s.target = path.slice(prefix.length) + query;
        return null;
      };
    }
    case 'addPrefix': {
      const prefix = checkPath(rule.prefix, `${where}.prefix`);
      return (s) => {
        s.target = prefix === '/' ? s.target : prefix + s.target;
        return null;
      };
    }
    case 'regex': {
      let re: RegExp;
      try {
        re =
          rule.pattern instanceof RegExp
            ? new RegExp(rule.pattern.source, rule.pattern.flags.replace(/[gy]/g, ''))
            : new RegExp(rule.pattern);
      } catch (err) {
        fail(`${where}.pattern: ${(err as Error).message}`);
      }
      if (typeof rule.replacement !== 'string' || /[\s#]/.test(rule.replacement)) {
        fail(`${where}.replacement must be a string without spaces or "#"`);
      }
      const redirect = rule.redirect;
      if (redirect !== undefined && ![301, 302, 303, 307, 308].includes(redirect)) {
        fail(`${where}.redirect must be 301, 302, 303, 307 or 308`);
      }
      const replacement = rule.replacement;
      return (s) => {
        const [path, query] = splitTarget(s.target);
        if (!re.test(path)) return null;
        let next = path.replace(re, replacement);
        // nginx: a replacement with its own query replaces the original one's place first.
        if (query !== '') next += next.includes('?') ? `&${query.slice(1)}` : query;
        if (redirect !== undefined) {
          return {
            status: redirect,
            headers: new Headers({ location: next }),
            body: null,
          };
        }
        if (!next.startsWith('/') && !/^https?:\/\//.test(next)) next = `/${next}`;
        s.target = next;
        return null;
      };
    }
    default:
      fail(
        `${where}.type must be setHeader, removeHeader, setUri, stripPrefix, addPrefix or regex, got ${JSON.stringify((rule as { type?: unknown })?.type)}`,
      );
  }
}

function copyHeaders(h: Headers): Headers {
  const out = new Headers();
  for (const [name, value] of h) out.append(name, value);
  return out;
}

function compileResponse(rule: ResponseRewriteRule, i: number): ResStep {
  const where = `response[${i}]`;
  switch (rule?.type) {
    case 'setHeader': {
      const name = checkName(rule.name, where);
      const value = checkValue(rule.value, where);
      return (res) => {
        res.headers.set(name, value);
      };
    }
    case 'removeHeader': {
      const name = checkName(rule.name, where);
      return (res) => {
        res.headers.delete(name);
      };
    }
    case 'status': {
      const code = rule.code;
      if (!Number.isInteger(code) || code < 200 || code > 599) {
        fail(`${where}.code must be an integer 200-599`);
      }
      return (res) => {
        res.status = code;
      };
    }
    case 'replaceBody': {
      if (typeof rule.from !== 'string' || rule.from === '')
        fail(`${where}.from must be non-empty`);
      if (typeof rule.to !== 'string') fail(`${where}.to must be a string`);
      const from = Buffer.from(rule.from);
      const to = Buffer.from(rule.to);
      return (res) => {
        if (res.body === null || res.headers.has('content-encoding')) return;
        res.body = replaceStream(toIterable(res.body), from, to);
        res.headers.delete('content-length');
        res.headers.delete('etag');
      };
    }
    default:
      fail(
        `${where}.type must be setHeader, removeHeader, status or replaceBody, got ${JSON.stringify((rule as { type?: unknown })?.type)}`,
      );
  }
}

async function* toIterable(body: Exclude<BodyInit, null>): AsyncGenerator<Uint8Array> {
  if (typeof body === 'string') yield Buffer.from(body);
  else if (body instanceof Uint8Array) yield body;
  else if ((body as FileBodyInit).kind === 'file') {
    const f = body as FileBodyInit;
    const opts: { start?: number; end?: number } = {};
    if (f.start !== undefined) opts.start = f.start;
    if (f.end !== undefined) opts.end = f.end;
    for await (const chunk of createReadStream(f.path, opts)) yield chunk as Buffer;
  } else yield* body as AsyncIterable<Uint8Array>;
}

/** Streams `source` with every `from` replaced, holding back only `from.length - 1` bytes. */
async function* replaceStream(
  source: AsyncIterable<Uint8Array>,
  from: Buffer,
  to: Buffer,
): AsyncGenerator<Uint8Array> {
  let carry: Buffer = Buffer.alloc(0);
  for await (const chunk of source) {
    const data = carry.length === 0 ? Buffer.from(chunk) : Buffer.concat([carry, chunk]);
    const parts: Buffer[] = [];
    let pos = 0;
    for (;;) {
      const at = data.indexOf(from, pos);
      if (at === -1) break;
      parts.push(data.subarray(pos, at), to);
      pos = at + from.length;
    }
    const keep = Math.max(pos, data.length - (from.length - 1));
    parts.push(data.subarray(pos, keep));
    carry = data.subarray(keep);
    const out = Buffer.concat(parts);
    if (out.length > 0) yield out;
  }
  if (carry.length > 0) yield carry;
}

/**
 * Creates the rewrite middleware.
 *
 * @example
 * ```ts
 * import { rewrite } from '@rws/middleware/rewrite';
 * const legacy = rewrite({
 *   request: [
 *     { type: 'regex', pattern: '^/old/(.*)$', replacement: '/new/$1', redirect: 301 },
 *     { type: 'stripPrefix', prefix: '/api' },
 *     { type: 'setHeader', name: 'x-from', value: 'gateway' },
 *   ],
 *   response: [{ type: 'removeHeader', name: 'server' }],
 * });
 * ```
 */
export function rewrite(options: RewriteOptions): Middleware {
  const reqRules = options?.request ?? [];
  const resRules = options?.response ?? [];
  if (!Array.isArray(reqRules) || !Array.isArray(resRules)) {
    fail('request and response must be arrays of rules');
  }
  const reqSteps = reqRules.map(compileRequest);
  const resSteps = resRules.map(compileResponse);
  return {
    async handle(req: Request, next: Handler): Promise<Response> {
      let inner = req;
      if (reqSteps.length > 0) {
        const state = { target: req.target, headers: null as Headers | null, req };
        for (const step of reqSteps) {
          const early = step(state);
          if (early !== null) return early;
        }
        if (state.target !== req.target || state.headers !== null) {
          inner = deriveRequest(req, {
            target: state.target,
            ...(state.headers === null ? {} : { headers: state.headers }),
          });
        }
      }
      const res = await next(inner);
      for (const step of resSteps) step(res);
      return res;
    },
  };
}
