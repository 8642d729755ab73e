/**
 * Compiled statements of the repository's common operations, kept per Db, model and query
 * shape, and run past the CamelCasePlugin. A repeated `find`, `insert`, `update` or keyset page
 * then skips building the kysely query tree, the plugin's snake_case pass over it, compiling,
 * and the plugin's per-row rename (ModelCodec.fromRawRow renames with a precomputed map, in
 * place when no name changes). The SQL is exactly what kysely compiled the first time.
 */
import type { Compilable, CompiledQuery, Kysely, QueryResult } from 'kysely';
import type { Model } from '../model.js';
import type { Rec } from './model-codec.js';

// biome-ignore lint/suspicious/noExplicitAny: the schema comes from models, not a DB type.
type AnyKysely = Kysely<any>;

/** Shapes kept per model; beyond it the model's cache starts over (e.g. many IN-list lengths). */
const MAX_SHAPES = 256;

/** The compiled statements of one Db (its dialect's compiler and plugins), by model and shape. */
export class CompiledQueries {
  readonly #byModel = new WeakMap<Model, Map<string, CompiledQuery>>();

  get(model: Model, shape: string): CompiledQuery | undefined {
    return this.#byModel.get(model)?.get(shape);
  }

  set(model: Model, shape: string, query: CompiledQuery): void {
    let shapes = this.#byModel.get(model);
    if (shapes === undefined) this.#byModel.set(model, (shapes = new Map()));
    if (shapes.size >= MAX_SHAPES) shapes.clear();
    shapes.set(shape, query);
  }
}

const PLAIN = new WeakMap<AnyKysely, AnyKysely>();

/** The same kysely (same connection, same transaction) without plugins, made once per instance. */
function withoutPlugins(kysely: AnyKysely): AnyKysely {
  let plain = PLAIN.get(kysely);
  if (plain === undefined) PLAIN.set(kysely, (plain = kysely.withoutPlugins()));
  return plain;
}

/** A value the driver binds as it is: anything else (a kysely expression) may change the SQL. */
function isBindable(v: unknown): boolean {
  return typeof v !== 'object' || v === null || v instanceof Date || ArrayBuffer.isView(v);
}

function isSameParams(a: readonly unknown[], b: readonly unknown[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (!Object.is(a[i], b[i])) return false;
  return true;
}

/**
 * Runs the statement of `shape` with `params` (its parameters in SQL order). The first time,
 * `build()` makes it and it is compiled; it is kept only when kysely's parameters are exactly
 * `params`, so a shape whose parameters were predicted wrong is rebuilt every time rather than
 * run with the wrong values. Rows come back as the driver returned them (snake_case names).
 */
export async function runCompiled(
  cache: CompiledQueries,
  model: Model,
  kysely: AnyKysely,
  shape: string,
  params: readonly unknown[],
  build: () => Compilable<unknown>,
): Promise<QueryResult<Rec>> {
  let query = params.every(isBindable) ? cache.get(model, shape) : undefined;
  if (query === undefined) {
    query = build().compile() as CompiledQuery;
    if (!isSameParams(query.parameters, params) || !params.every(isBindable))
      return withoutPlugins(kysely).executeQuery<Rec>(query);
    cache.set(model, shape, query);
  }
  return withoutPlugins(kysely).executeQuery<Rec>({ ...query, parameters: params });
}
