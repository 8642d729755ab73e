/** The SQL dialects @rws/orm speaks. */
export type DialectName = 'sqlite' | 'postgres' | 'mysql';

/** The kinds of column a model declares; each maps values the same way on every dialect. */
export type ColumnKind =
  | 'text'
  | 'integer'
  | 'bigint'
  | 'boolean'
  | 'decimal'
  | 'timestamp'
  | 'json'
  | 'binary';

/**
 * One column of a model. `T` is the JS type, `N` whether it is nullable, `D` whether the
 * database supplies a value on insert (a default, an auto-increment id).
 */
export interface Column<T, N extends boolean = false, D extends boolean = false> {
  readonly kind: ColumnKind;
  readonly isNullable: N;
  readonly hasDefault: D;
  /** Type carrier only; never set. */
  readonly __type?: T;
  /** This column, nullable. */
  nullable(): Column<T, true, D>;
  /** This column, filled by the database when an insert leaves it out. */
  default(): Column<T, N, true>;
}

function make<T>(kind: ColumnKind, isNullable = false, hasDefault = false): Column<T, never> {
  const col = {
    kind,
    isNullable,
    hasDefault,
    nullable: () => make<T>(kind, true, hasDefault),
    default: () => make<T>(kind, isNullable, true),
  };
  return col as unknown as Column<T, never>;
}

/**
 * Column constructors for `defineModel`. Every kind reads back as the same JS type on all
 * three dialects (docs/orm.md lists the SQL type to declare on each).
 */
export const column: {
  text(): Column<string>;
  integer(): Column<number>;
  bigint(): Column<bigint>;
  boolean(): Column<boolean>;
  decimal(): Column<string>;
  timestamp(): Column<Date>;
  json<T = unknown>(): Column<T>;
  binary(): Column<Uint8Array>;
  /** An auto-increment integer key (the database assigns it). */
  id(): Column<number, false, true>;
} = {
  text: () => make<string>('text') as Column<string>,
  integer: () => make<number>('integer') as Column<number>,
  bigint: () => make<bigint>('bigint') as Column<bigint>,
  boolean: () => make<boolean>('boolean') as Column<boolean>,
  decimal: () => make<string>('decimal') as Column<string>,
  timestamp: () => make<Date>('timestamp') as Column<Date>,
  json: <T>() => make<T>('json') as Column<T>,
  binary: () => make<Uint8Array>('binary') as Column<Uint8Array>,
  id: () => make<number>('integer', false, true) as unknown as Column<number, false, true>,
};

/** Converts a JS value to what the driver of `dialect` stores for this kind. */
export function toDb(kind: ColumnKind, value: unknown, dialect: DialectName): unknown {
  if (value === null || value === undefined) return value;
  switch (kind) {
    case 'boolean':
      return dialect === 'postgres' ? Boolean(value) : value ? 1 : 0;
    case 'timestamp': {
      const d = value instanceof Date ? value : new Date(value as string);
      // SQLite has no date type: ISO 8601 UTC text sorts and compares correctly.
      return dialect === 'sqlite' ? d.toISOString() : d;
    }
    case 'json':
      return JSON.stringify(value);
    case 'bigint':
      return dialect === 'sqlite' ? BigInt(value as bigint) : String(value);
    case 'binary':
      return Buffer.from(value as Uint8Array);
    default:
      return value;
  }
}

const NAIVE_TIMESTAMP = /^\d{4}-\d{2}-\d{2}[ T]\d{2}:\d{2}(:\d{2}(\.\d+)?)?$/;

/** Converts what the driver returned into the column's JS type. */
export function fromDb(kind: ColumnKind, value: unknown): unknown {
  if (value === null || value === undefined) return value;
  switch (kind) {
    case 'integer':
      return typeof value === 'number' ? value : Number(value);
    case 'bigint':
      return typeof value === 'bigint' ? value : BigInt(value as string);
    case 'boolean':
      return typeof value === 'boolean' ? value : Number(value) !== 0;
    case 'decimal':
      return String(value);
    case 'timestamp': {
      if (value instanceof Date) return value;
      const s = String(value);
      // SQLite's CURRENT_TIMESTAMP is UTC without a zone; Date would read it as local time.
      return new Date(NAIVE_TIMESTAMP.test(s) ? `${s.replace(' ', 'T')}Z` : s);
    }
    case 'json':
      return typeof value === 'string' ? JSON.parse(value) : value;
    case 'binary':
      return value instanceof Uint8Array ? Buffer.from(value) : Buffer.from(String(value));
    case 'text':
      return String(value);
    default:
      return value;
  }
}
