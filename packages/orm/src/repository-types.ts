/**
 * The types of repository calls: filters, orderings, find and page options, pages, and what a
 * Repository needs from its Db.
 */

import type { Kysely } from 'kysely';
import type { DialectName } from './column.js';
import type { CompiledQueries } from './internal/compiled-queries.js';
import type { Model, Row } from './model.js';
import type { Loaded } from './relations.js';

/** A column name of a model. */
export type ColumnOf<M extends Model> = keyof M['columns'] & string;

/** Equality filters: a value, null (IS NULL) or an array (IN). */
export type Where<M extends Model> = {
  [K in keyof Row<M>]?: Row<M>[K] | readonly Row<M>[K][];
};

/** An ordering: column names (ascending) or `[column, 'asc' | 'desc']` pairs. */
export type OrderBy<M extends Model> = ReadonlyArray<
  ColumnOf<M> | readonly [ColumnOf<M>, 'asc' | 'desc']
>;

type RelationsOf<M> = M extends { readonly relations: infer R } ? R : Record<never, never>;
/** The relation names of a model. */
export type RelationName<M> = keyof RelationsOf<M> & string;

/** A row with the relations named in `with` loaded. */
export type RowWith<M extends Model, W extends string> = Row<M> & {
  [K in W]: K extends keyof RelationsOf<M> ? Loaded<RelationsOf<M>[K]> : never;
};

/** Options of `findMany`. */
export interface FindManyOptions<M extends Model, W extends string> {
  readonly orderBy?: OrderBy<M> | undefined;
  readonly limit?: number | undefined;
  readonly offset?: number | undefined;
  /** Relations to load, one extra query each. */
  readonly with?: readonly W[] | undefined;
}

/** Options of offset pagination. */
export interface PageOptions<M extends Model, W extends string> {
  readonly page: number;
  readonly perPage: number;
  readonly where?: Where<M> | undefined;
  readonly orderBy?: OrderBy<M> | undefined;
  readonly with?: readonly W[] | undefined;
}

/** A page of offset pagination. */
export interface Page<T> {
  readonly items: T[];
  readonly total: number;
  readonly totalPages: number;
  readonly page: number;
  readonly perPage: number;
  /** An RFC 8288 `Link` header (first, prev, next, last) on `base` with `page`/`per_page`. */
  linkHeader(base: string | URL): string;
}

/** Options of keyset pagination. */
export interface KeysetOptions<M extends Model, W extends string> {
  /** The cursor of the previous page (`nextCursor`); absent for the first page. */
  readonly after?: string | null | undefined;
  readonly limit: number;
  readonly where?: Where<M> | undefined;
  /** Sort key columns must be NOT NULL; the primary key is appended to break ties. */
  readonly orderBy?: OrderBy<M> | undefined;
  readonly with?: readonly W[] | undefined;
}

/** A page of keyset pagination. */
export interface KeysetPage<T> {
  readonly items: T[];
  /** Pass as `after` for the next page; null on the last page. */
  readonly nextCursor: string | null;
  /** An RFC 8288 `Link` header with rel="next" (`after`, `limit`), or '' on the last page. */
  linkHeader(base: string | URL): string;
}

/** Options of `upsert`. */
export interface UpsertOptions<M extends Model> {
  /** The unique columns that identify the existing row. */
  readonly conflict: readonly ColumnOf<M>[];
}

/** What a Repository needs from its Db. */
export interface RepositoryContext {
  // biome-ignore lint/suspicious/noExplicitAny: the schema comes from models, not a DB type.
  readonly kysely: Kysely<any>;
  readonly dialect: DialectName;
  readonly secret: Uint8Array;
  /** The Db's compiled statements, shared by its transactions (absent: the repository's own). */
  readonly queries?: CompiledQueries | undefined;
}
