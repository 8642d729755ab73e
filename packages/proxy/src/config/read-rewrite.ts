/** `[route.middleware.rewrite]`: request and response rewrite rules. */
import { GATEWAY_CONFIG_CODES } from '../errors.js';
import {
  checkHeaderName,
  checkPathValue,
  REDIRECT_STATUSES,
  type RedirectStatus,
} from './checks.js';
import type { KeyPath } from './config-problem.js';
import { didYouMean } from './did-you-mean.js';
import type {
  GatewayMiddleware,
  GatewayRequestRewrite,
  GatewayResponseRewrite,
} from './gateway-config.js';
import type { Reader, Table } from './reader.js';

/** `prefix`, or its rust-web-server spelling `value`; exactly one of them. */
function prefixField(r: Reader, t: Table, path: KeyPath): string {
  if (t['prefix'] !== undefined && t['value'] !== undefined) {
    r.add(
      GATEWAY_CONFIG_CODES.CONFIG_CONFLICT,
      [...path, 'value'],
      'value is another name for prefix; keep one',
    );
  }
  if (t['prefix'] === undefined && t['value'] === undefined) {
    r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, path, 'is missing prefix');
    return '/';
  }
  const p = t['prefix'] !== undefined ? 'prefix' : 'value';
  return checkPathValue(r, r.string(t, p, path, true), [...path, p]) ?? '/';
}

/** A header rule as both directions have it. */
type HeaderRule =
  | { readonly type: 'header_set'; readonly name: string; readonly value: string }
  | { readonly type: 'header_remove'; readonly name: string };

/** `header_set` / `header_remove`: the same keys and checks for requests and responses. */
function readHeaderRule(
  r: Reader,
  rule: Table,
  p: KeyPath,
  type: HeaderRule['type'],
): HeaderRule | null {
  r.keys(rule, p, type === 'header_set' ? ['type', 'name', 'value'] : ['type', 'name']);
  const name = r.string(rule, 'name', p, true);
  // Read before the name check, so a bad value is reported with a bad name.
  const value = type === 'header_set' ? (r.string(rule, 'value', p) ?? '') : '';
  if (name === null || !checkHeaderName(r, name, [...p, 'name'])) return null;
  return type === 'header_set' ? { type, name, value } : { type, name };
}

export function readRewrite(r: Reader, v: unknown, path: KeyPath): GatewayMiddleware['rewrite'] {
  const t = r.table(v, path);
  if (t === null) return null;
  r.keys(t, path, ['request', 'response']);
  const request: GatewayRequestRewrite[] = [];
  const response: GatewayResponseRewrite[] = [];
  r.tables(t['request'], [...path, 'request'], 'route.middleware.rewrite.request').forEach(
    (rule, i) => {
      const p = [...path, 'request', i];
      const type = r.string(rule, 'type', p, true);
      const named = (keys: string[]) => r.keys(rule, p, ['type', ...keys]);
      switch (type) {
        case 'header_set':
        case 'header_remove': {
          const header = readHeaderRule(r, rule, p, type);
          if (header !== null) request.push(header);
          break;
        }
        case 'uri_set': {
          named(['value']);
          const value = r.string(rule, 'value', p, true);
          if (value !== null && !value.startsWith('/'))
            r.invalid([...p, 'value'], 'must start with "/"');
          else if (value !== null) request.push({ type, value });
          break;
        }
        case 'uri_strip_prefix':
        case 'strip_prefix':
          named(['prefix', 'value']);
          request.push({ type: 'uri_strip_prefix', prefix: prefixField(r, rule, p) });
          break;
        case 'uri_add_prefix':
        case 'add_prefix':
          named(['prefix', 'value']);
          request.push({ type: 'uri_add_prefix', prefix: prefixField(r, rule, p) });
          break;
        case 'uri_regex': {
          named(['pattern', 'replacement', 'redirect']);
          const pattern = r.string(rule, 'pattern', p, true);
          const replacement = r.string(rule, 'replacement', p, true);
          if (pattern !== null) {
            try {
              new RegExp(pattern);
            } catch (err) {
              r.invalid(
                [...p, 'pattern'],
                `not a valid regular expression: ${(err as Error).message}`,
              );
            }
          }
          const redirect = r.int(rule, 'redirect', p, 100, 999);
          if (redirect !== null && !(REDIRECT_STATUSES as readonly number[]).includes(redirect)) {
            r.invalid([...p, 'redirect'], `must be one of ${REDIRECT_STATUSES.join(', ')}`);
          }
          if (pattern !== null && replacement !== null) {
            request.push({
              type,
              pattern,
              replacement,
              redirect: redirect as RedirectStatus | null,
            });
          }
          break;
        }
        case null:
          break;
        default: {
          const kinds = [
            'header_set',
            'header_remove',
            'uri_set',
            'uri_strip_prefix',
            'uri_add_prefix',
            'uri_regex',
          ];
          const hint = didYouMean(type, kinds);
          r.invalid(
            [...p, 'type'],
            `unknown request rewrite ${JSON.stringify(type)} (one of ${kinds.join(', ')})`,
            hint === null ? undefined : `did you mean "${hint}"?`,
          );
        }
      }
    },
  );
  r.tables(t['response'], [...path, 'response'], 'route.middleware.rewrite.response').forEach(
    (rule, i) => {
      const p = [...path, 'response', i];
      const type = r.string(rule, 'type', p, true);
      const named = (keys: string[]) => r.keys(rule, p, ['type', ...keys]);
      switch (type) {
        case 'header_set':
        case 'header_remove': {
          const header = readHeaderRule(r, rule, p, type);
          if (header !== null) response.push(header);
          break;
        }
        case 'status':
        case 'status_set': {
          named(['code', 'reason']);
          // The reason phrase comes from the status table; `reason` is accepted for
          // rust-web-server configs and otherwise ignored.
          r.string(rule, 'reason', p);
          const code = r.int(rule, 'code', p, 200, 599);
          if (code === null && rule['code'] === undefined)
            r.add(GATEWAY_CONFIG_CODES.CONFIG_MISSING_VALUE, p, 'is missing code');
          if (code !== null) response.push({ type: 'status', code });
          break;
        }
        case 'body_replace': {
          named(['from', 'to']);
          const from = r.string(rule, 'from', p, true);
          const to = r.string(rule, 'to', p) ?? '';
          if (from !== null) response.push({ type, from, to });
          break;
        }
        case null:
          break;
        default: {
          const kinds = ['header_set', 'header_remove', 'status', 'body_replace'];
          const hint = didYouMean(type, kinds);
          r.invalid(
            [...p, 'type'],
            `unknown response rewrite ${JSON.stringify(type)} (one of ${kinds.join(', ')})`,
            hint === null ? undefined : `did you mean "${hint}"?`,
          );
        }
      }
    },
  );
  return { request, response };
}
