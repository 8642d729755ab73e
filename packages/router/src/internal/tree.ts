/**
 * The radix tree behind `Router`. Static text is stored in prefix-compressed nodes (as in
 * find-my-way), parameters and wildcards hang off the node that ends with the `/` before
 * them. Lookups walk the tree comparing characters of the path string in place, record
 * parameter positions as numbers, so backtracking never allocates and strings are sliced only
 * once a route has matched.
 */
import { asciiLower, RwsError } from '@rws/core';
import { ERROR_CODES } from '../errors.js';

/** Any method: the `ALL` pseudo-method registered by `app.all()`. */
export const ANY_METHOD = 'ALL';

/** A parsed piece of a route path. */
export type Token =
  | { readonly kind: 'static'; readonly text: string }
  | { readonly kind: 'param'; readonly name: string; readonly pattern: string | null }
  | { readonly kind: 'wildcard'; readonly name: string };

/** Slices and percent-decodes one parameter (invalid encoding throws a 400 RwsError). */
type ParamDecoder = (path: string, start: number, end: number, name: string) => string;

/** Builds the params object of one leaf from `[start, end]` pairs. */
export type ParamsBuilder = (
  path: string,
  values: readonly number[],
  decode: ParamDecoder,
) => Record<string, string>;

/**
 * A params builder specialised for one list of names. V8 gives an object literal with fixed
 * keys one hidden class and monomorphic stores, where a loop of computed-key stores goes
 * megamorphic once routes have different names (find-my-way compiles the same way). Names
 * are embedded with JSON.stringify, so route text cannot inject code. Falls back to a loop
 * when code generation from strings is disabled.
 */
function compileParamsBuilder(names: readonly string[]): ParamsBuilder {
  let body = 'return {';
  for (let i = 0; i < names.length; i++) {
    const key = JSON.stringify(names[i]);
    body += `${key}: decode(path, values[${2 * i}], values[${2 * i + 1}], ${key}),`;
  }
  body += '};';
  try {
    return new Function('path', 'values', 'decode', body) as ParamsBuilder;
  } catch {
    return (path, values, decode) => {
      const params: Record<string, string> = {};
      for (let i = 0; i < names.length; i++) {
        params[names[i]!] = decode(path, values[2 * i]!, values[2 * i + 1]!, names[i]!);
      }
      return params;
    };
  }
}

/** The handlers registered at one path. */
export class Leaf<T> {
  /** Method → store, including the implicit HEAD of a GET. Null prototype: methods are keys. */
  readonly methods: Record<string, T> = Object.create(null);
  /**
   * The same as two parallel arrays: a leaf has a handful of methods, and a scan comparing
   * short strings beats a dictionary-mode property lookup.
   */
  methodNames: string[] = [];
  methodStores: T[] = [];
  /** Methods registered explicitly (conflict detection, Allow). */
  readonly explicit: Set<string> = new Set();
  /** The store of `ALL`, or null. */
  any: T | null = null;
  /** The `Allow` header value for this path. */
  allow = '';
  /** Parameter names in path order. */
  readonly paramNames: readonly string[];
  readonly buildParams: ParamsBuilder | null;
  /** The route path as registered (for redirects and listings). */
  readonly path: string;
  /**
   * Prebuilt lookup results per method for leaves without params (set by the Router), so a
   * static hit allocates nothing.
   */
  matchNames: string[] = [];
  matchList: unknown[] = [];
  anyMatch: unknown = undefined;

  /** The prebuilt GET result: most lookups are GETs, so they skip even the scan. */
  getMatch: unknown = undefined;

  /** The prebuilt result for `method`, or undefined. A short scan beats a dictionary lookup. */
  staticMatch(method: string): unknown {
    if (method === 'GET' && this.getMatch !== undefined) return this.getMatch;
    const names = this.matchNames;
    for (let i = 0; i < names.length; i++) if (names[i] === method) return this.matchList[i];
    return this.anyMatch;
  }

  constructor(paramNames: readonly string[], path: string) {
    this.paramNames = paramNames;
    // Keep the scratch array large enough (and packed) for the longest route.
    while (scratch.values.length < paramNames.length * 2) scratch.values.push(0);
    this.buildParams = paramNames.length === 0 ? null : compileParamsBuilder(paramNames);
    this.path = path;
  }

  /** Re-derives the method arrays after `methods` changed. */
  sync(): void {
    this.methodNames = Object.keys(this.methods);
    this.methodStores = this.methodNames.map((m) => this.methods[m]!);
  }

  has(method: string): boolean {
    if (this.any !== null) return true;
    const names = this.methodNames;
    for (let i = 0; i < names.length; i++) if (names[i] === method) return true;
    return false;
  }

  get(method: string): T | null {
    const names = this.methodNames;
    for (let i = 0; i < names.length; i++) if (names[i] === method) return this.methodStores[i]!;
    return this.any;
  }
}

interface ParamEdge<T> {
  readonly name: string;
  readonly patternSource: string | null;
  readonly pattern: RegExp | null;
  readonly node: Node<T>;
}

interface WildcardEdge<T> {
  readonly name: string;
  readonly leaf: Leaf<T>;
}

/** A prefix-compressed static node. */
/**
 * A flat, sequential copy of `s`. Route text is built by concatenation and slicing, which
 * gives V8 cons and sliced strings; every `charCodeAt` on those goes through an indirection,
 * and lookups read node prefixes millions of times.
 */
function flat(s: string): string {
  return s.split('').join('');
}

export class Node<T> {
  prefix: string;
  /** Static children, each with a distinct first character. */
  children: Node<T>[] = [];
  /** Children indexed by first char code (< 128), built when there are several children. */
  table: (Node<T> | undefined)[] | null = null;
  /** Parameter edges: patterned first, then the plain one. */
  params: ParamEdge<T>[] = [];
  wildcard: WildcardEdge<T> | null = null;
  leaf: Leaf<T> | null = null;
  /** True when a param or wildcard edge competes with the static children (backtracking). */
  isBranch = false;
  /** The only edge, when this node has exactly one plain param and no wildcard. */
  soleParam: ParamEdge<T> | null = null;

  /** Recomputes `isBranch` and `soleParam` after an edge was added. */
  refresh(): void {
    this.isBranch = this.params.length !== 0 || this.wildcard !== null;
    const only = this.params.length === 1 ? this.params[0]! : null;
    this.soleParam = only !== null && only.pattern === null && this.wildcard === null ? only : null;
  }

  constructor(prefix: string) {
    this.prefix = flat(prefix);
  }

  child(code: number): Node<T> | undefined {
    const table = this.table;
    if (table !== null && code < 128) return table[code];
    const children = this.children;
    for (let i = 0; i < children.length; i++) {
      const c = children[i]!;
      if (c.prefix.charCodeAt(0) === code) return c;
    }
    return undefined;
  }

  setChild(node: Node<T>): void {
    const code = node.prefix.charCodeAt(0);
    const children = this.children;
    let replaced = false;
    for (let i = 0; i < children.length; i++) {
      if (children[i]!.prefix.charCodeAt(0) === code) {
        children[i] = node;
        replaced = true;
        break;
      }
    }
    if (!replaced) children.push(node);
    // A linear scan beats a table for a handful of children; past that, index by char code.
    if (children.length > 4) {
      const table: (Node<T> | undefined)[] = [];
      for (let i = 0; i < 128; i++) table.push(undefined);
      let isAscii = true;
      for (const c of children) {
        const k = c.prefix.charCodeAt(0);
        if (k < 128) table[k] = c;
        else isAscii = false;
      }
      this.table = isAscii ? table : null;
    } else {
      this.table = null;
    }
  }
}

/** One host's routes: the tree plus a map of fully static paths for one-probe lookups. */
export class Tree<T> {
  readonly root: Node<T> = new Node<T>('');
  /** Fully static paths (normalised) → leaf. */
  readonly statics: Map<string, Leaf<T>> = new Map();
  /**
   * `staticLengths[n] === 1` when some static path has length n. A request path of another
   * length skips the map probe, and with it hashing a fresh string.
   */
  readonly staticLengths: number[] = [];
  hasDynamic = false;
}

function invalidPath(path: string, why: string): RwsError {
  return new RwsError(
    ERROR_CODES.INVALID_PATH,
    `invalid route path ${JSON.stringify(path)}: ${why}`,
  );
}

function isNameChar(c: number): boolean {
  return (
    (c >= 48 && c <= 57) || (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || c === 95 || c === 36
  );
}

function encodeStatic(text: string): string {
  for (let i = 0; i < text.length; i++) {
    // Routes are matched against the still-encoded request path; encode non-ASCII route text
    // once here so `/café` matches `/caf%C3%A9`.
    if (text.charCodeAt(i) > 127) return encodeURI(text);
  }
  return text;
}

/**
 * Parses a route path into tokens. `:name` and `:name(regex)` must fill a whole segment;
 * `*name` (or bare `*`) must be the last segment.
 */
export function parsePath(path: string): Token[] {
  if (typeof path !== 'string' || path.charCodeAt(0) !== 47) {
    throw invalidPath(String(path), 'it must start with "/"');
  }
  const tokens: Token[] = [];
  let text = '';
  let i = 0;
  const n = path.length;
  while (i < n) {
    const ch = path.charCodeAt(i);
    const atSegmentStart = path.charCodeAt(i - 1) === 47;
    if (ch === 58 /* : */ && atSegmentStart) {
      let j = i + 1;
      while (j < n && isNameChar(path.charCodeAt(j))) j++;
      const name = path.slice(i + 1, j);
      if (name === '') throw invalidPath(path, `empty parameter name at offset ${i}`);
      let pattern: string | null = null;
      if (path.charCodeAt(j) === 40 /* ( */) {
        let depth = 0;
        let k = j;
        for (; k < n; k++) {
          const c = path.charCodeAt(k);
          if (c === 92 /* \ */) {
            k++;
            continue;
          }
          if (c === 40) depth++;
          else if (c === 41 && --depth === 0) break;
        }
        if (k >= n) throw invalidPath(path, `unclosed pattern of parameter ":${name}"`);
        pattern = path.slice(j + 1, k);
        if (pattern === '') throw invalidPath(path, `empty pattern of parameter ":${name}"`);
        j = k + 1;
      }
      if (j < n && path.charCodeAt(j) !== 47) {
        throw invalidPath(path, `parameter ":${name}" must fill a whole path segment`);
      }
      if (text !== '') tokens.push({ kind: 'static', text });
      text = '';
      tokens.push({ kind: 'param', name, pattern });
      i = j;
    } else if (ch === 42 /* * */ && atSegmentStart) {
      let j = i + 1;
      while (j < n && isNameChar(path.charCodeAt(j))) j++;
      if (j !== n) throw invalidPath(path, 'a wildcard must be the last segment');
      const name = j === i + 1 ? '*' : path.slice(i + 1, j);
      if (text !== '') tokens.push({ kind: 'static', text });
      text = '';
      tokens.push({ kind: 'wildcard', name });
      i = j;
    } else {
      text += path[i];
      i++;
    }
  }
  if (text !== '') tokens.push({ kind: 'static', text });
  const seen = new Set<string>();
  for (const t of tokens) {
    if (t.kind === 'static') continue;
    if (seen.has(t.name)) throw invalidPath(path, `parameter "${t.name}" appears twice`);
    seen.add(t.name);
  }
  return tokens;
}

function insertStatic<T>(node: Node<T>, text: string): Node<T> {
  while (text !== '') {
    const code = text.charCodeAt(0);
    const child = node.child(code);
    if (child === undefined) {
      const created = new Node<T>(text);
      node.setChild(created);
      return created;
    }
    const prefix = child.prefix;
    const max = Math.min(prefix.length, text.length);
    let i = 1;
    while (i < max && prefix.charCodeAt(i) === text.charCodeAt(i)) i++;
    if (i < prefix.length) {
      // Split: `child` keeps its tail under a new node holding the common part.
      const mid = new Node<T>(prefix.slice(0, i));
      // Replace `child` in its parent while its first character still identifies it.
      node.setChild(mid);
      child.prefix = flat(prefix.slice(i));
      mid.setChild(child);
      node = mid;
    } else {
      node = child;
    }
    text = text.slice(i);
  }
  return node;
}

/** Inserts a route; returns its leaf (created or shared with other methods). */
export function insert<T>(
  tree: Tree<T>,
  tokens: readonly Token[],
  path: string,
  caseSensitive: boolean,
): Leaf<T> {
  let node = tree.root;
  const names: string[] = [];
  let isStatic = true;
  let key = '';
  for (const token of tokens) {
    if (token.kind === 'static') {
      let text = encodeStatic(token.text);
      if (!caseSensitive) text = asciiLower(text);
      key += text;
      node = insertStatic(node, text);
    } else if (token.kind === 'param') {
      isStatic = false;
      names.push(token.name);
      let edge: ParamEdge<T> | undefined;
      for (const p of node.params) {
        if (p.patternSource === token.pattern) {
          if (p.name !== token.name) {
            throw new RwsError(
              ERROR_CODES.PARAM_CONFLICT,
              `route ${JSON.stringify(path)} names parameter ":${token.name}" where another route names it ":${p.name}"`,
            );
          }
          edge = p;
        } else if (p.name !== token.name) {
          throw new RwsError(
            ERROR_CODES.PARAM_CONFLICT,
            `route ${JSON.stringify(path)} names parameter ":${token.name}" where another route names it ":${p.name}"`,
          );
        }
      }
      if (edge === undefined) {
        let pattern: RegExp | null = null;
        if (token.pattern !== null) {
          try {
            // Compiled once, at registration; anchored so it must match the whole segment.
            pattern = new RegExp(`^(?:${token.pattern})$`);
          } catch (cause) {
            throw new RwsError(
              ERROR_CODES.INVALID_PATH,
              `invalid pattern of parameter ":${token.name}" in route ${JSON.stringify(path)}`,
              { cause },
            );
          }
        }
        edge = { name: token.name, patternSource: token.pattern, pattern, node: new Node<T>('') };
        node.params.push(edge);
        // Patterned edges are tried before the catch-all one.
        node.params.sort((a, b) => (a.pattern === null ? 1 : 0) - (b.pattern === null ? 1 : 0));
        node.refresh();
      }
      node = edge.node;
    } else {
      isStatic = false;
      names.push(token.name);
      if (node.wildcard !== null) {
        if (node.wildcard.name !== token.name) {
          throw new RwsError(
            ERROR_CODES.PARAM_CONFLICT,
            `route ${JSON.stringify(path)} names wildcard "*${token.name}" where another route names it "*${node.wildcard.name}"`,
          );
        }
        return node.wildcard.leaf;
      }
      const leaf = new Leaf<T>(names, path);
      node.wildcard = { name: token.name, leaf };
      node.refresh();
      tree.hasDynamic = true;
      return leaf;
    }
  }
  if (node.leaf === null) node.leaf = new Leaf<T>(names, path);
  if (isStatic) {
    tree.statics.set(key, node.leaf);
    while (tree.staticLengths.length <= key.length) tree.staticLengths.push(0);
    tree.staticLengths[key.length] = 1;
  } else tree.hasDynamic = true;
  return node.leaf;
}

/**
 * Finds the best leaf for `path` that serves `method` (any method when `method` is null),
 * by priority static > param > wildcard with backtracking. Parameter positions are pushed
 * onto `values` as `[start, end]` pairs.
 */
/**
 * Parameter positions of the current lookup as `[start, end]` pairs, `top` entries used.
 * Lookups are synchronous and never re-entrant, so one scratch array serves them all.
 */
export const scratch: { values: number[]; top: number } = { values: [], top: 0 };

/**
 * The end of the segment starting at `pos`: the next `/`, or the path's length. A loop, not
 * `indexOf`: a parameter segment is a few characters, and the builtin call cost more than
 * scanning them (~90 instructions a call, callgrind, `pnpm bench:profile rws-app`).
 */
function segmentEnd(path: string, pos: number): number {
  const len = path.length;
  while (pos < len && path.charCodeAt(pos) !== 47 /* / */) pos++;
  return pos;
}

/** `path.startsWith(prefix, pos)` for a prefix whose first char already matched. */
function matchesAt(path: string, prefix: string, pos: number): boolean {
  const n = prefix.length;
  if (pos + n > path.length) return false;
  // A plain loop beats the startsWith builtin call for the short prefixes of a route tree.
  for (let i = 1; i < n; i++) {
    if (path.charCodeAt(pos + i) !== prefix.charCodeAt(i)) return false;
  }
  return true;
}

export function walk<T>(
  node: Node<T>,
  path: string,
  pos: number,
  method: string | null,
): Leaf<T> | null {
  const len = path.length;
  const values = scratch.values;
  const depth = scratch.top;
  // Iterate while there is nothing to backtrack to; recurse only at real branch points.
  for (;;) {
    if (pos === len) {
      const leaf = node.leaf;
      if (leaf !== null && (method === null || leaf.has(method))) return leaf;
      const wild = node.wildcard;
      if (wild !== null && (method === null || wild.leaf.has(method))) {
        values[scratch.top++] = pos;
        values[scratch.top++] = pos;
        return wild.leaf;
      }
      scratch.top = depth;
      return null;
    }
    if (node.children.length !== 0) {
      const code = path.charCodeAt(pos);
      const child = node.table !== null && code < 128 ? node.table[code] : node.child(code);
      if (child !== undefined && matchesAt(path, child.prefix, pos)) {
        if (!node.isBranch) {
          pos += child.prefix.length;
          node = child;
          continue;
        }
        const found = walk(child, path, pos + child.prefix.length, method);
        if (found !== null) return found;
      }
    }
    const sole = node.soleParam;
    if (sole !== null) {
      const end = segmentEnd(path, pos);
      if (end === pos) {
        scratch.top = depth;
        return null;
      }
      values[scratch.top++] = pos;
      values[scratch.top++] = end;
      node = sole.node;
      pos = end;
      continue;
    }
    const params = node.params;
    const wild = node.wildcard;
    if (params.length !== 0) {
      const end = segmentEnd(path, pos);
      if (end > pos) {
        const mark = scratch.top;
        for (let i = 0; i < params.length; i++) {
          const edge = params[i]!;
          if (edge.pattern !== null && !edge.pattern.test(path.slice(pos, end))) continue;
          values[scratch.top++] = pos;
          values[scratch.top++] = end;
          const found = walk(edge.node, path, end, method);
          if (found !== null) return found;
          scratch.top = mark;
        }
      }
    }
    if (wild !== null && (method === null || wild.leaf.has(method))) {
      values[scratch.top++] = pos;
      values[scratch.top++] = len;
      return wild.leaf;
    }
    scratch.top = depth;
    return null;
  }
}

/** Every leaf matching `path` under any method (for the `Allow` of a 405). */
export function collect<T>(node: Node<T>, path: string, pos: number, out: Leaf<T>[]): void {
  const len = path.length;
  if (pos === len) {
    if (node.leaf !== null) out.push(node.leaf);
    if (node.wildcard !== null) out.push(node.wildcard.leaf);
    return;
  }
  if (node.children.length !== 0) {
    const child = node.child(path.charCodeAt(pos));
    if (child !== undefined && path.startsWith(child.prefix, pos)) {
      collect(child, path, pos + child.prefix.length, out);
    }
  }
  if (node.params.length !== 0) {
    let end = path.indexOf('/', pos);
    if (end === -1) end = len;
    if (end > pos) {
      for (const edge of node.params) {
        if (edge.pattern !== null && !edge.pattern.test(path.slice(pos, end))) continue;
        collect(edge.node, path, end, out);
      }
    }
  }
  if (node.wildcard !== null) out.push(node.wildcard.leaf);
}
