/**
 * One model's column conversions and WHERE/ORDER BY building, shared by its Repository and by
 * the relation loader: values go to the database per column kind and dialect, rows come back
 * converted, and every column name is checked against the model before it reaches SQL.
 */
import type { Expression, ExpressionBuilder, SqlBool } from 'kysely';
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

/** Column conversions and filters of one model on one dialect. */
export class ModelCodec {
  readonly #model: Model;
  readonly #dialect: DialectName;
  readonly #kinds: ReadonlyMap<string, ColumnKind>;

  constructor(model: Model, dialect: DialectName) {
    this.#model = model;
    this.#dialect = dialect;
    this.#kinds = new Map(Object.entries(model.columns).map(([k, c]) => [k, c.kind]));
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

  /** `where` (equality, IS NULL, IN) and the soft-delete `scope` as one condition. */
  filter(eb: Eb, where: Rec | undefined, scope: Scope): Expression<SqlBool> {
    const parts: Expression<SqlBool>[] = [];
    for (const [k, v] of Object.entries(where ?? {})) {
      if (v === undefined) continue;
      this.kind(k);
      if (v === null) parts.push(eb(k, 'is', null));
      else if (Array.isArray(v)) {
        if (v.length === 0) parts.push(eb.lit(false) as unknown as Expression<SqlBool>);
        else
          parts.push(
            eb(
              k,
              'in',
              v.map((x) => this.toDb(k, x)),
            ),
          );
      } else parts.push(eb(k, '=', this.toDb(k, v)));
    }
    if (this.#model.isSoftDelete) {
      if (scope === 'live') parts.push(eb('deletedAt', 'is', null));
      else if (scope === 'trashed') parts.push(eb('deletedAt', 'is not', null));
    }
    return eb.and(parts);
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
  after(eb: Eb, pairs: OrderPairs, values: readonly unknown[]): Expression<SqlBool> {
    const ors: Expression<SqlBool>[] = [];
    for (let i = 0; i < pairs.length; i++) {
      const ands: Expression<SqlBool>[] = [];
      for (let j = 0; j < i; j++) {
        const [c] = pairs[j] as [string, string];
        ands.push(eb(c, '=', this.toDb(c, values[j])));
      }
      const [c, d] = pairs[i] as [string, string];
      ands.push(eb(c, d === 'asc' ? '>' : '<', this.toDb(c, values[i])));
      ors.push(eb.and(ands));
    }
    return eb.or(ors);
  }
}
