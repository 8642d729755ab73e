/**
 * One model's column conversions and WHERE/ORDER BY building, shared by its Repository and by
 * the relation loader: values go to the database per column kind and dialect, rows come back
 * converted, and every column name is checked against the model before it reaches SQL.
 */
import { CamelCasePlugin, type Expression, type ExpressionBuilder, type SqlBool } from 'kysely';
import { type ColumnKind, type DialectName, fromDb, toDb } from '../column.js';
import { ERROR_CODES, OrmError } from '../errors.js';
import type { Model } from '../model.js';

export type Rec = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the schema comes from models, not a DB type.
export type Eb = ExpressionBuilder<any, any>;
/** Which rows of a soft-delete model a read sees. */
export type Scope = 'live' | 'all' | 'trashed';
/** An ordering as column/direction pairs. */
export type OrderPairs = Array<[string, 'asc' | 'desc']>;

/** The largest limit, offset or page size a repository call accepts. */
export const MAX_LIMIT = 10_000;

/** Throws RWS_ORM_INVALID_QUERY unless `n` is an integer from `min` to MAX_LIMIT. */
export function checkCount(what: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min || n > MAX_LIMIT)
    throw new OrmError(
      ERROR_CODES.INVALID_QUERY,
      `${what} must be an integer from ${min} to ${MAX_LIMIT}, got ${String(n)}`,
    );
}

/**
 * The identifier mapping of the Db's CamelCasePlugin (create-db.ts), exposed: rows read past the
 * plugin get the very names the plugin would have given them.
 */
class NameCase extends CamelCasePlugin {
  toSnake(s: string): string {
    return this.snakeCase(s);
  }
  toCamel(s: string): string {
    return this.camelCase(s);
  }
}
const NAMES = new NameCase({ maintainNestedObjectKeys: true });

/** One filter condition of `where`, values already converted for the database. */
type FilterPart =
  | { readonly col: string; readonly op: 'null' }
  | { readonly col: string; readonly op: 'none' }
  | { readonly col: string; readonly op: '=' | 'in'; readonly values: readonly unknown[] };

/**
 * A `where` and scope, checked and converted once: `key` names the SQL it compiles to (the
 * compiled-statement cache's key part), `params` are its parameters in SQL order, and
 * `build` makes the condition.
 */
export interface FilterPlan {
  readonly key: string;
  readonly params: readonly unknown[];
  /** True when there is no condition at all (`build` makes `1 = 1`). */
  readonly isEmpty: boolean;
  build(eb: Eb): Expression<SqlBool>;
}

/** A column as the database names it: its property name and kind. */
interface DbColumn {
  readonly name: string;
  readonly kind: ColumnKind;
}

const CODECS = new WeakMap<Model, Map<DialectName, ModelCodec>>();

/** Column conversions and filters of one model on one dialect. */
export class ModelCodec {
  readonly #model: Model;
  readonly #dialect: DialectName;
  readonly #kinds: ReadonlyMap<string, ColumnKind>;
  /** By snake_case name (as rows come from the driver). */
  readonly #dbColumns: ReadonlyMap<string, DbColumn>;
  /** True when some property name differs from its column name (`createdAt`/`created_at`). */
  readonly #isRenamed: boolean;

  /** The codec of a model on a dialect, built once (repositories are made per call). */
  static of(model: Model, dialect: DialectName): ModelCodec {
    let byDialect = CODECS.get(model);
    if (byDialect === undefined) CODECS.set(model, (byDialect = new Map()));
    let codec = byDialect.get(dialect);
    if (codec === undefined) byDialect.set(dialect, (codec = new ModelCodec(model, dialect)));
    return codec;
  }

  constructor(model: Model, dialect: DialectName) {
    this.#model = model;
    this.#dialect = dialect;
    this.#kinds = new Map(Object.entries(model.columns).map(([k, c]) => [k, c.kind]));
    this.#dbColumns = new Map(
      Object.entries(model.columns).map(([k, c]) => [NAMES.toSnake(k), { name: k, kind: c.kind }]),
    );
    this.#isRenamed = [...this.#dbColumns].some(([db, c]) => db !== c.name);
  }

  /** The kind of a column; throws RWS_ORM_INVALID_QUERY for a name the model lacks. */
  kind(col: string): ColumnKind {
    const kind = this.#kinds.get(col);
    if (kind === undefined)
      throw new OrmError(
        ERROR_CODES.INVALID_QUERY,
        `"${col}" is not a column of model "${this.#model.table}"`,
      );
    return kind;
  }

  /** One value as the database stores it. */
  toDb(col: string, v: unknown): unknown {
    return toDb(this.kind(col), v, this.#dialect);
  }

  /** A row of values as the database stores them; undefined values are left out. */
  toDbRow(values: Rec): Rec {
    const out: Rec = {};
    for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = this.toDb(k, v);
    return out;
  }

  /** A row read from the database, converted per column kind (unknown columns as they are). */
  fromDbRow(raw: Rec): Rec {
    const out: Rec = {};
    for (const [k, v] of Object.entries(raw)) {
      const kind = this.#kinds.get(k);
      out[k] = kind === undefined ? v : fromDb(kind, v);
    }
    return out;
  }

  /**
   * A row as the driver returned it (snake_case column names, past the CamelCasePlugin),
   * renamed and converted as the plugin and `fromDbRow` together would. When no column is
   * renamed the row is converted in place: no second object per row.
   */
  fromRawRow(raw: Rec): Rec {
    const keys = Object.keys(raw);
    if (!this.#isRenamed) {
      let isSame = true;
      for (const k of keys) {
        const c = this.#dbColumns.get(k);
        if (c !== undefined) raw[k] = fromDb(c.kind, raw[k]);
        else if (NAMES.toCamel(k) !== k) isSame = false;
      }
      if (isSame) return raw;
    }
    const out: Rec = {};
    for (const k of keys) {
      const c = this.#dbColumns.get(k);
      if (c === undefined) out[NAMES.toCamel(k)] = raw[k];
      else out[c.name] = this.#isRenamed ? fromDb(c.kind, raw[k]) : raw[k];
    }
    return out;
  }

  /**
   * `where` (equality, IS NULL, IN) and the soft-delete `scope` as one condition, checked and
   * converted once (see FilterPlan).
   */
  plan(where: Rec | undefined, scope: Scope): FilterPlan {
    const parts: FilterPart[] = [];
    const params: unknown[] = [];
    let key = this.#model.isSoftDelete ? scope : '';
    if (where !== undefined)
      for (const k of Object.keys(where)) {
        const v = where[k];
        if (v === undefined) continue;
        this.kind(k);
        if (v === null) {
          parts.push({ col: k, op: 'null' });
          key += `,${k} null`;
        } else if (Array.isArray(v)) {
          if (v.length === 0) parts.push({ col: k, op: 'none' });
          const values = v.map((x) => this.toDb(k, x));
          if (v.length > 0) parts.push({ col: k, op: 'in', values });
          params.push(...values);
          key += `,${k} in ${v.length}`;
        } else {
          const value = this.toDb(k, v);
          parts.push({ col: k, op: '=', values: [value] });
          params.push(value);
          key += `,${k} =`;
        }
      }
    const isSoftDelete = this.#model.isSoftDelete;
    return {
      key,
      params,
      isEmpty: parts.length === 0 && (!isSoftDelete || scope === 'all'),
      build(eb) {
        const conds = parts.map((p): Expression<SqlBool> => {
          if (p.op === 'null') return eb(p.col, 'is', null);
          if (p.op === 'none') return eb.lit(false) as unknown as Expression<SqlBool>;
          return eb(p.col, p.op, p.op === 'in' ? p.values : p.values[0]);
        });
        if (isSoftDelete) {
          if (scope === 'live') conds.push(eb('deletedAt', 'is', null));
          else if (scope === 'trashed') conds.push(eb('deletedAt', 'is not', null));
        }
        return eb.and(conds);
      },
    };
  }

  /** An `orderBy` option as checked column/direction pairs. */
  orderPairs(
    orderBy: ReadonlyArray<string | readonly [string, 'asc' | 'desc']> | undefined,
  ): OrderPairs {
    const pairs: OrderPairs = (orderBy ?? []).map((o) =>
      typeof o === 'string' ? [o, 'asc'] : [o[0], o[1]],
    );
    for (const [c, d] of pairs) {
      this.kind(c);
      if (d !== 'asc' && d !== 'desc')
        throw new OrmError(ERROR_CODES.INVALID_QUERY, `order direction must be asc or desc`);
    }
    return pairs;
  }

  /**
   * The condition "after the cursor values" over a multi-column ordering:
   * (a, b, id) after (x, y, z) is a > x OR (a = x AND b > y) OR (a = x AND b = y AND id > z),
   * with < for descending columns.
   */
  after(pairs: OrderPairs, values: readonly unknown[]): FilterPlan {
    const dbValues = pairs.map(([c], i) => this.toDb(c, values[i]));
    const params: unknown[] = [];
    for (let i = 0; i < pairs.length; i++) params.push(...dbValues.slice(0, i + 1));
    return {
      key: pairs.map(([c, d]) => `${c} ${d}`).join(','),
      params,
      isEmpty: false,
      build(eb) {
        const ors: Expression<SqlBool>[] = [];
        for (let i = 0; i < pairs.length; i++) {
          const ands: Expression<SqlBool>[] = [];
          for (let j = 0; j < i; j++)
            ands.push(eb((pairs[j] as [string, string])[0], '=', dbValues[j]));
          const [c, d] = pairs[i] as [string, string];
          ands.push(eb(c, d === 'asc' ? '>' : '<', dbValues[i]));
          ors.push(eb.and(ands));
        }
        return eb.or(ors);
      },
    };
  }
}
