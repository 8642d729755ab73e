import { type Column, column } from './column.js';

/** The columns of a model, by camelCase property name. */
export type Columns = Record<string, Column<unknown, boolean, boolean>>;

type ValueOf<C> =
  C extends Column<infer T, infer N, boolean> ? (N extends true ? T | null : T) : never;

type TimestampColumns = {
  createdAt: Column<Date, false, true>;
  updatedAt: Column<Date, false, true>;
};
type SoftDeleteColumns = { deletedAt: Column<Date, true, true> };

/** The declared columns plus the ones `timestamps` and `softDelete` add. */
export type AllColumns<C extends Columns, TS extends boolean, SD extends boolean> = C &
  (TS extends true ? TimestampColumns : unknown) &
  (SD extends true ? SoftDeleteColumns : unknown);

type RequiredKeys<C> = {
  [K in keyof C]: C[K] extends Column<unknown, infer N, infer D>
    ? N extends true
      ? never
      : D extends true
        ? never
        : K
    : never;
}[keyof C];

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** A row as read: every column, nullable ones as `T | null`. */
export type RowOf<C> = Simplify<{ -readonly [K in keyof C]: ValueOf<C[K]> }>;
/** What an insert takes: columns without a default and not nullable are required. */
export type InsertOf<C> = Simplify<
  { [K in RequiredKeys<C>]: ValueOf<C[K]> } & {
    [K in Exclude<keyof C, RequiredKeys<C>>]?: ValueOf<C[K]>;
  }
>;
/** What an update takes: any subset of the columns. */
export type UpdateOf<C> = Simplify<{ [K in keyof C]?: ValueOf<C[K]> }>;

/** Options of `defineModel`. */
export interface ModelOptions<C extends Columns, TS extends boolean, SD extends boolean> {
  readonly columns: C;
  /** The key column(s), by property name (default `id`). */
  readonly primaryKey?: keyof C & string;
  /** Adds `createdAt`/`updatedAt` (created_at/updated_at), set by the repository. */
  readonly timestamps?: TS;
  /** Adds `deletedAt` (deleted_at): delete() marks rows instead of removing them. */
  readonly softDelete?: SD;
}

/** A model: a table, its columns and the types derived from them. */
export interface Model<
  Name extends string = string,
  C extends Columns = Columns,
  TS extends boolean = boolean,
  SD extends boolean = boolean,
> {
  readonly table: Name;
  readonly columns: AllColumns<C, TS, SD>;
  readonly primaryKey: string;
  readonly hasTimestamps: TS;
  readonly isSoftDelete: SD;
  /** Type carriers only; never set. */
  readonly $row?: RowOf<AllColumns<C, TS, SD>>;
  readonly $insert?: InsertOf<AllColumns<C, TS, SD>>;
  readonly $update?: UpdateOf<AllColumns<C, TS, SD>>;
}

/** The row type of a model. */
export type Row<M extends Model> = NonNullable<M['$row']>;
/** The insert type of a model. */
export type Insert<M extends Model> = NonNullable<M['$insert']>;
/** The update type of a model. */
export type Update<M extends Model> = NonNullable<M['$update']>;

/**
 * Declares a model. Property names are camelCase; the table and its columns are snake_case in
 * SQL (`createdAt` ↔ `created_at`). Types are inferred: no decorators, no code generation.
 *
 * @example
 * ```ts
 * const User = defineModel('users', {
 *   columns: { id: column.id(), email: column.text(), name: column.text().nullable() },
 *   timestamps: true,
 * });
 * type UserRow = Row<typeof User>; // { id: number; email: string; name: string | null; createdAt: Date; updatedAt: Date }
 * ```
 */
export function defineModel<
  const Name extends string,
  C extends Columns,
  TS extends boolean = false,
  SD extends boolean = false,
>(table: Name, options: ModelOptions<C, TS, SD>): Model<Name, C, TS, SD> {
  const columns: Columns = { ...options.columns };
  if (options.timestamps === true) {
    columns['createdAt'] = column.timestamp().default();
    columns['updatedAt'] = column.timestamp().default();
  }
  if (options.softDelete === true) columns['deletedAt'] = column.timestamp().nullable().default();
  return {
    table,
    columns: columns as AllColumns<C, TS, SD>,
    primaryKey: options.primaryKey ?? 'id',
    hasTimestamps: (options.timestamps ?? false) as TS,
    isSoftDelete: (options.softDelete ?? false) as SD,
  };
}
