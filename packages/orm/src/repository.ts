import type { Expression, ExpressionBuilder, Kysely, SqlBool } from 'kysely';
import { type ColumnKind, type DialectName, fromDb, toDb } from './column.js';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ERROR_CODES, OrmError } from './errors.js';
import { linkHeader } from './link-header.js';
import type { Insert, Model, Row, Update } from './model.js';
import type { Loaded, Relation } from './relations.js';

type Rec = Record<string, unknown>;
// biome-ignore lint/suspicious/noExplicitAny: the schema comes from models, not a DB type.
type AnyKysely = Kysely<any>;
// biome-ignore lint/suspicious/noExplicitAny: see AnyKysely.
type Eb = ExpressionBuilder<any, any>;

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
type RelationName<M> = keyof RelationsOf<M> & string;

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

type Scope = 'live' | 'all' | 'trashed';

/** What a Repository needs from its Db. */
export interface RepositoryContext {
  readonly kysely: AnyKysely;
  readonly dialect: DialectName;
  readonly secret: Uint8Array;
}

const MAX_LIMIT = 10_000;

function checkCount(what: string, n: number, min: number): void {
  if (!Number.isInteger(n) || n < min || n > MAX_LIMIT)
    throw new OrmError(
      ERROR_CODES.INVALID_QUERY,
      `${what} must be an integer from ${min} to ${MAX_LIMIT}, got ${String(n)}`,
    );
}

/**
 * The operations on one model: reads respect soft delete (see withTrashed/onlyTrashed),
 * writes maintain timestamps and convert values per column kind on every dialect.
 */
export class Repository<M extends Model> {
  readonly model: M;
  readonly #ctx: RepositoryContext;
  readonly #scope: Scope;
  readonly #kinds: ReadonlyMap<string, ColumnKind>;

  constructor(model: M, ctx: RepositoryContext, scope: Scope = 'live') {
    this.model = model;
    this.#ctx = ctx;
    this.#scope = scope;
    this.#kinds = new Map(Object.entries(model.columns).map(([k, c]) => [k, c.kind]));
  }

  /** The same repository, reading soft-deleted rows too. */
  withTrashed(): Repository<M> {
    return new Repository(this.model, this.#ctx, 'all');
  }

  /** The same repository, reading only soft-deleted rows. */
  onlyTrashed(): Repository<M> {
    return new Repository(this.model, this.#ctx, 'trashed');
  }

  get #db(): AnyKysely {
    return this.#ctx.kysely;
  }
  get #pk(): string {
    return this.model.primaryKey;
  }

  #kind(col: string): ColumnKind {
    const kind = this.#kinds.get(col);
    if (kind === undefined)
      throw new OrmError(
        ERROR_CODES.INVALID_QUERY,
        `"${col}" is not a column of model "${this.model.table}"`,
      );
    return kind;
  }

  #in(col: string, v: unknown): unknown {
    return toDb(this.#kind(col), v, this.#ctx.dialect);
  }

  #toDbRow(values: Rec): Rec {
    const out: Rec = {};
    for (const [k, v] of Object.entries(values)) if (v !== undefined) out[k] = this.#in(k, v);
    return out;
  }

  #fromDbRow(raw: Rec): Rec {
    const out: Rec = {};
    for (const [k, v] of Object.entries(raw)) {
      const kind = this.#kinds.get(k);
      out[k] = kind === undefined ? v : fromDb(kind, v);
    }
    return out;
  }

  #filter(eb: Eb, where: Rec | undefined, scope: Scope = this.#scope): Expression<SqlBool> {
    const parts: Expression<SqlBool>[] = [];
    for (const [k, v] of Object.entries(where ?? {})) {
      if (v === undefined) continue;
      this.#kind(k);
      if (v === null) parts.push(eb(k, 'is', null));
      else if (Array.isArray(v)) {
        if (v.length === 0) parts.push(eb.lit(false) as unknown as Expression<SqlBool>);
        else
          parts.push(
            eb(
              k,
              'in',
              v.map((x) => this.#in(k, x)),
            ),
          );
      } else parts.push(eb(k, '=', this.#in(k, v)));
    }
    if (this.model.isSoftDelete) {
      if (scope === 'live') parts.push(eb('deletedAt', 'is', null));
      else if (scope === 'trashed') parts.push(eb('deletedAt', 'is not', null));
    }
    return eb.and(parts);
  }

  #orderPairs(orderBy: OrderBy<M> | undefined): Array<[string, 'asc' | 'desc']> {
    const pairs: Array<[string, 'asc' | 'desc']> = (orderBy ?? []).map((o) =>
      typeof o === 'string' ? [o, 'asc'] : [o[0], o[1]],
    );
    for (const [c, d] of pairs) {
      this.#kind(c);
      if (d !== 'asc' && d !== 'desc')
        throw new OrmError(ERROR_CODES.INVALID_QUERY, `order direction must be asc or desc`);
    }
    return pairs;
  }

  #select(where: Rec | undefined, orderBy: OrderBy<M> | undefined) {
    let q = this.#db
      .selectFrom(this.model.table)
      .selectAll()
      .where((eb) => this.#filter(eb, where));
    for (const [c, d] of this.#orderPairs(orderBy)) q = q.orderBy(c, d);
    return q;
  }

  /** The row with this primary key, or undefined. */
  async find(id: Row<M>[keyof Row<M>]): Promise<Row<M> | undefined> {
    const raw = await this.#select({ [this.#pk]: id }, undefined).executeTakeFirst();
    return raw === undefined ? undefined : (this.#fromDbRow(raw) as Row<M>);
  }

  /** The row with this primary key; throws RWS_ORM_NOT_FOUND (404) when there is none. */
  async findOrFail(id: Row<M>[keyof Row<M>]): Promise<Row<M>> {
    const row = await this.find(id);
    if (row === undefined)
      throw new OrmError(
        ERROR_CODES.NOT_FOUND,
        `no ${this.model.table} row with ${this.#pk} = ${String(id)}`,
        { status: 404, table: this.model.table },
      );
    return row;
  }

  /** The first row matching `where`, or undefined. */
  async findOne(where: Where<M>): Promise<Row<M> | undefined> {
    const raw = await this.#select(where as Rec, undefined)
      .limit(1)
      .executeTakeFirst();
    return raw === undefined ? undefined : (this.#fromDbRow(raw) as Row<M>);
  }

  /** Rows matching `where` (equality, null, or IN for arrays), ordered and limited. */
  async findMany<W extends RelationName<M> = never>(
    where: Where<M> = {},
    options: FindManyOptions<M, W> = {},
  ): Promise<RowWith<M, W>[]> {
    let q = this.#select(where as Rec, options.orderBy);
    if (options.limit !== undefined) {
      checkCount('limit', options.limit, 0);
      q = q.limit(options.limit);
    }
    if (options.offset !== undefined) {
      checkCount('offset', options.offset, 0);
      if (options.limit === undefined) q = q.limit(MAX_LIMIT);
      q = q.offset(options.offset);
    }
    const rows = (await q.execute()).map((r) => this.#fromDbRow(r));
    await this.#load(rows, options.with);
    return rows as RowWith<M, W>[];
  }

  /** The number of rows matching `where`. */
  async count(where: Where<M> = {}): Promise<number> {
    const r = await this.#db
      .selectFrom(this.model.table)
      .select((eb) => eb.fn.countAll().as('count'))
      .where((eb) => this.#filter(eb, where as Rec))
      .executeTakeFirstOrThrow();
    return Number(r['count']);
  }

  /** True when a row matches `where`. */
  async exists(where: Where<M> = {}): Promise<boolean> {
    const r = await this.#db
      .selectFrom(this.model.table)
      .select(this.#pk)
      .where((eb) => this.#filter(eb, where as Rec))
      .limit(1)
      .executeTakeFirst();
    return r !== undefined;
  }

  #stamp(values: Rec, isInsert: boolean): Rec {
    if (!this.model.hasTimestamps) return values;
    const now = new Date();
    return isInsert ? { createdAt: now, updatedAt: now, ...values } : { ...values, updatedAt: now };
  }

  async #byKeys(where: Rec): Promise<Row<M>> {
    const raw = await this.#db
      .selectFrom(this.model.table)
      .selectAll()
      .where((eb) => this.#filter(eb, where, 'all'))
      .executeTakeFirstOrThrow();
    return this.#fromDbRow(raw) as Row<M>;
  }

  /** Inserts a row and returns it as stored (with its generated key and defaults). */
  async insert(values: Insert<M>): Promise<Row<M>> {
    const row = this.#toDbRow(this.#stamp(values as Rec, true));
    const q = this.#db.insertInto(this.model.table).values(row);
    if (this.#ctx.dialect !== 'mysql')
      return this.#fromDbRow(await q.returningAll().executeTakeFirstOrThrow()) as Row<M>;
    // MySQL has no INSERT … RETURNING: read the row back by its key.
    const r = await q.executeTakeFirstOrThrow();
    const given = (values as Rec)[this.#pk];
    return this.#byKeys({ [this.#pk]: given ?? Number(r.insertId) });
  }

  /** Inserts several rows and returns them in order. */
  async insertMany(values: readonly Insert<M>[]): Promise<Row<M>[]> {
    if (values.length === 0) return [];
    if (this.#ctx.dialect === 'mysql') {
      // One insert per row: insertId of a multi-row insert is only the first id, and later ids
      // are consecutive only under some innodb_autoinc_lock_mode settings.
      const out: Row<M>[] = [];
      for (const v of values) out.push(await this.insert(v));
      return out;
    }
    const rows = values.map((v) => this.#toDbRow(this.#stamp(v as Rec, true)));
    const raw = await this.#db.insertInto(this.model.table).values(rows).returningAll().execute();
    return raw.map((r) => this.#fromDbRow(r) as Row<M>);
  }

  /** Updates the row with this key; returns it as stored, or undefined when there is none. */
  async update(id: Row<M>[keyof Row<M>], patch: Update<M>): Promise<Row<M> | undefined> {
    const set = this.#toDbRow(this.#stamp(patch as Rec, false));
    if (Object.keys(set).length === 0) return this.find(id);
    const r = await this.#db
      .updateTable(this.model.table)
      .set(set)
      .where((eb) => this.#filter(eb, { [this.#pk]: id }))
      .executeTakeFirst();
    if (Number(r.numUpdatedRows) === 0) return undefined;
    return this.#byKeys({ [this.#pk]: id });
  }

  /** Updates every row matching `where`; returns how many matched (changed or not). */
  async updateMany(where: Where<M>, patch: Update<M>): Promise<number> {
    const set = this.#toDbRow(this.#stamp(patch as Rec, false));
    const r = await this.#db
      .updateTable(this.model.table)
      .set(set)
      .where((eb) => this.#filter(eb, where as Rec))
      .executeTakeFirst();
    return Number(r.numUpdatedRows);
  }

  /**
   * Inserts a row, or updates the row whose `conflict` columns (a unique key) match. Returns the
   * row as stored. The key and createdAt are not overwritten.
   */
  async upsert(values: Insert<M>, options: UpsertOptions<M>): Promise<Row<M>> {
    if (options.conflict.length === 0)
      throw new OrmError(ERROR_CODES.INVALID_QUERY, 'upsert needs at least one conflict column');
    const row = this.#toDbRow(this.#stamp(values as Rec, true));
    const set: Rec = {};
    for (const [k, v] of Object.entries(row))
      if (k !== this.#pk && k !== 'createdAt' && !options.conflict.includes(k)) set[k] = v;
    const q = this.#db.insertInto(this.model.table).values(row);
    const where: Rec = {};
    for (const c of options.conflict) where[c] = (values as Rec)[c];
    if (this.#ctx.dialect === 'mysql') {
      // A no-op assignment keeps ON DUPLICATE KEY valid when nothing else is updated.
      const onDup =
        Object.keys(set).length === 0 ? { [this.#pk]: (eb: Eb) => eb.ref(this.#pk) } : set;
      await q.onDuplicateKeyUpdate(onDup).execute();
      return this.#byKeys(where);
    }
    const conflict = [...options.conflict];
    const raw = await q
      .onConflict((oc) =>
        Object.keys(set).length === 0
          ? oc.columns(conflict).doUpdateSet({
              [conflict[0] as string]: (eb: Eb) => eb.ref(`excluded.${conflict[0]}`),
            })
          : oc.columns(conflict).doUpdateSet(set),
      )
      .returningAll()
      .executeTakeFirstOrThrow();
    return this.#fromDbRow(raw) as Row<M>;
  }

  /**
   * Deletes the row with this key (soft-deletes it when the model has `softDelete`). Returns
   * true when a row was affected.
   */
  async delete(id: Row<M>[keyof Row<M>]): Promise<boolean> {
    if (this.model.isSoftDelete) {
      const r = await this.#db
        .updateTable(this.model.table)
        .set(this.#toDbRow({ deletedAt: new Date() }))
        .where((eb) => this.#filter(eb, { [this.#pk]: id }, 'live'))
        .executeTakeFirst();
      return Number(r.numUpdatedRows) > 0;
    }
    return this.forceDelete(id);
  }

  /** Removes the row with this key for good, soft delete or not. */
  async forceDelete(id: Row<M>[keyof Row<M>]): Promise<boolean> {
    const r = await this.#db
      .deleteFrom(this.model.table)
      .where((eb) => this.#filter(eb, { [this.#pk]: id }, 'all'))
      .executeTakeFirst();
    return Number(r.numDeletedRows) > 0;
  }

  /** Brings back a soft-deleted row; returns true when one was restored. */
  async restore(id: Row<M>[keyof Row<M>]): Promise<boolean> {
    if (!this.model.isSoftDelete)
      throw new OrmError(
        ERROR_CODES.INVALID_QUERY,
        `model "${this.model.table}" has no softDelete, so nothing can be restored`,
      );
    const r = await this.#db
      .updateTable(this.model.table)
      .set(this.#toDbRow(this.#stamp({ deletedAt: null }, false)))
      .where((eb) => this.#filter(eb, { [this.#pk]: id }, 'trashed'))
      .executeTakeFirst();
    return Number(r.numUpdatedRows) > 0;
  }

  /** Offset pagination: `{ items, total, totalPages, page }`. */
  paginate<W extends RelationName<M> = never>(
    options: PageOptions<M, W>,
  ): Promise<Page<RowWith<M, W>>>;
  /** Keyset pagination over `orderBy` plus the primary key, with signed cursors. */
  paginate<W extends RelationName<M> = never>(
    options: KeysetOptions<M, W>,
  ): Promise<KeysetPage<RowWith<M, W>>>;
  paginate<W extends RelationName<M> = never>(
    options: PageOptions<M, W> | KeysetOptions<M, W>,
  ): Promise<Page<RowWith<M, W>> | KeysetPage<RowWith<M, W>>> {
    return 'perPage' in options ? this.#offsetPage(options) : this.#keysetPage(options);
  }

  async #offsetPage<W extends string>(o: PageOptions<M, W>): Promise<Page<RowWith<M, W>>> {
    checkCount('perPage', o.perPage, 1);
    if (!Number.isInteger(o.page) || o.page < 1)
      throw new OrmError(
        ERROR_CODES.INVALID_QUERY,
        `page must be an integer >= 1, got ${String(o.page)}`,
      );
    const orderBy = this.#withPk(o.orderBy);
    const total = await this.count(o.where ?? {});
    const rows = await this.#select(o.where as Rec, orderBy as OrderBy<M>)
      .limit(o.perPage)
      .offset((o.page - 1) * o.perPage)
      .execute();
    const items = rows.map((r) => this.#fromDbRow(r));
    await this.#load(items, o.with);
    const totalPages = Math.ceil(total / o.perPage);
    const { page, perPage } = o;
    return {
      items: items as RowWith<M, W>[],
      total,
      totalPages,
      page,
      perPage,
      linkHeader: (base) =>
        linkHeader(base, {
          first: { page: 1, per_page: perPage },
          prev:
            page > 1
              ? { page: Math.min(page - 1, Math.max(totalPages, 1)), per_page: perPage }
              : undefined,
          next: page < totalPages ? { page: page + 1, per_page: perPage } : undefined,
          last: { page: Math.max(totalPages, 1), per_page: perPage },
        }),
    };
  }

  #withPk(orderBy: OrderBy<M> | undefined): Array<[string, 'asc' | 'desc']> {
    const pairs = this.#orderPairs(orderBy);
    // The key breaks ties, so equal sort values never straddle two pages twice or not at all.
    if (!pairs.some(([c]) => c === this.#pk)) pairs.push([this.#pk, 'asc']);
    return pairs;
  }

  async #keysetPage<W extends string>(o: KeysetOptions<M, W>): Promise<KeysetPage<RowWith<M, W>>> {
    checkCount('limit', o.limit, 1);
    const pairs = this.#withPk(o.orderBy);
    const scope = `${this.model.table}:${pairs.map(([c, d]) => `${c} ${d}`).join(',')}`;
    let q = this.#db
      .selectFrom(this.model.table)
      .selectAll()
      .where((eb) => {
        const base = this.#filter(eb, o.where as Rec);
        if (o.after === undefined || o.after === null || o.after === '') return base;
        const values = decodeCursor(this.#ctx.secret, scope, o.after, pairs.length);
        // (a, b, id) after (x, y, z): a > x OR (a = x AND b > y) OR (a = x AND b = y AND id > z),
        // with < for descending columns.
        const ors: Expression<SqlBool>[] = [];
        for (let i = 0; i < pairs.length; i++) {
          const ands: Expression<SqlBool>[] = [];
          for (let j = 0; j < i; j++) {
            const [c] = pairs[j] as [string, string];
            ands.push(eb(c, '=', this.#in(c, values[j])));
          }
          const [c, d] = pairs[i] as [string, string];
          ands.push(eb(c, d === 'asc' ? '>' : '<', this.#in(c, values[i])));
          ors.push(eb.and(ands));
        }
        return eb.and([base, eb.or(ors)]);
      })
      .limit(o.limit + 1);
    for (const [c, d] of pairs) q = q.orderBy(c, d);
    const rows = (await q.execute()).map((r) => this.#fromDbRow(r));
    const hasMore = rows.length > o.limit;
    const items = hasMore ? rows.slice(0, o.limit) : rows;
    const last = items[items.length - 1];
    const nextCursor =
      hasMore && last !== undefined
        ? encodeCursor(
            this.#ctx.secret,
            scope,
            pairs.map(([c]) => last[c]),
          )
        : null;
    await this.#load(items, o.with);
    const limit = o.limit;
    return {
      items: items as RowWith<M, W>[],
      nextCursor,
      linkHeader: (base) =>
        nextCursor === null ? '' : linkHeader(base, { next: { after: nextCursor, limit } }),
    };
  }

  async #load(rows: Rec[], names: readonly string[] | undefined): Promise<void> {
    if (names === undefined || names.length === 0 || rows.length === 0) return;
    const relations = (this.model as { relations?: Record<string, Relation> }).relations ?? {};
    for (const name of names) {
      const rel = relations[name];
      if (rel === undefined)
        throw new OrmError(
          ERROR_CODES.INVALID_QUERY,
          `"${name}" is not a relation of model "${this.model.table}"`,
        );
      await this.#loadOne(rows, name, rel);
    }
  }

  async #loadOne(rows: Rec[], name: string, rel: Relation): Promise<void> {
    const target = new Repository(rel.target, this.#ctx);
    const distinct = (vals: unknown[]) => [
      ...new Set(vals.filter((v) => v !== null && v !== undefined)),
    ];
    const key = (v: unknown) => String(v);
    if (rel.kind === 'belongsTo') {
      const ownerKey = rel.ownerKey ?? rel.target.primaryKey;
      const ids = distinct(rows.map((r) => r[rel.foreignKey]));
      const found = ids.length === 0 ? [] : await target.findMany({ [ownerKey]: ids } as never);
      const by = new Map(found.map((t) => [key((t as Rec)[ownerKey]), t]));
      for (const r of rows) r[name] = by.get(key(r[rel.foreignKey])) ?? null;
      return;
    }
    if (rel.kind === 'hasMany' || rel.kind === 'hasOne') {
      const localKey = rel.localKey ?? this.#pk;
      const ids = distinct(rows.map((r) => r[localKey]));
      const found =
        ids.length === 0
          ? []
          : await target.findMany({ [rel.foreignKey]: ids } as never, {
              orderBy: [rel.target.primaryKey] as never,
            });
      const by = new Map<string, Rec[]>();
      for (const t of found as Rec[]) {
        const k = key(t[rel.foreignKey]);
        const list = by.get(k) ?? [];
        list.push(t);
        by.set(k, list);
      }
      for (const r of rows) {
        const list = by.get(key(r[localKey])) ?? [];
        r[name] = rel.kind === 'hasMany' ? list : (list[0] ?? null);
      }
      return;
    }
    // manyToMany: one query joining the pivot.
    const ids = distinct(rows.map((r) => r[this.#pk]));
    const by = new Map<string, Rec[]>();
    if (ids.length > 0) {
      const t = rel.target.table;
      const tpk = rel.target.primaryKey;
      let q = this.#db
        .selectFrom(t)
        .innerJoin(rel.through, `${rel.through}.${rel.relatedKey}`, `${t}.${tpk}`)
        .selectAll(t)
        .select(`${rel.through}.${rel.foreignKey} as rwsOwnerKey`)
        .where(
          `${rel.through}.${rel.foreignKey}`,
          'in',
          ids.map((v) => this.#in(this.#pk, v)),
        )
        .orderBy(`${t}.${tpk}`);
      if (rel.target.isSoftDelete) q = q.where(`${t}.deletedAt`, 'is', null);
      for (const raw of await q.execute()) {
        const { rwsOwnerKey, ...rest } = raw as Rec;
        const k = key(fromDb(this.#kind(this.#pk), rwsOwnerKey));
        const list = by.get(k) ?? [];
        list.push(target.#fromDbRow(rest));
        by.set(k, list);
      }
    }
    for (const r of rows) r[name] = by.get(key(r[this.#pk])) ?? [];
  }
}
