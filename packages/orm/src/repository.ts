/**
 * `Repository`: the operations on one model. Column conversion and filters live in
 * internal/model-codec.ts, eager loading in internal/load-relations.ts, the option and page
 * types in repository-types.ts.
 */
import { type Compilable, type Kysely, NoResultError, type QueryNode } from 'kysely';
import { decodeCursor, encodeCursor } from './cursor.js';
import { ERROR_CODES, OrmError } from './errors.js';
import { type CompiledQueries, runCompiled } from './internal/compiled-queries.js';
import { loadRelations, type RelationOwner } from './internal/load-relations.js';
import {
  checkCount,
  type Eb,
  MAX_LIMIT,
  ModelCodec,
  type OrderPairs,
  type Rec,
  type Scope,
} from './internal/model-codec.js';
import { linkHeader } from './link-header.js';
import type { Insert, Model, Row, Update } from './model.js';
import type {
  FindManyOptions,
  KeysetOptions,
  KeysetPage,
  OrderBy,
  Page,
  PageOptions,
  RelationName,
  RepositoryContext,
  RowWith,
  UpsertOptions,
  Where,
} from './repository-types.js';

// biome-ignore lint/suspicious/noExplicitAny: the schema comes from models, not a DB type.
type AnyKysely = Kysely<any>;

/**
 * The error executeTakeFirstOrThrow threw before statements were compiled once (a row that must
 * exist, read back after a write, is gone).
 */
function noRow(): NoResultError {
  return new NoResultError({ kind: 'SelectQueryNode' } as unknown as QueryNode);
}

/**
 * The operations on one model: reads respect soft delete (see withTrashed/onlyTrashed),
 * writes maintain timestamps and convert values per column kind on every dialect.
 */
export class Repository<M extends Model> {
  readonly model: M;
  readonly #ctx: RepositoryContext;
  readonly #scope: Scope;
  readonly #codec: ModelCodec;
  readonly #queries: CompiledQueries | undefined;

  constructor(model: M, ctx: RepositoryContext, scope: Scope = 'live') {
    this.model = model;
    this.#ctx = ctx;
    this.#scope = scope;
    this.#codec = ModelCodec.of(model, ctx.dialect);
    this.#queries = ctx.queries;
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

  #toDbRow(values: Rec): Rec {
    return this.#codec.toDbRow(values);
  }

  #fromDbRow(raw: Rec): Rec {
    return this.#codec.fromDbRow(raw);
  }

  /**
   * Runs a statement and returns its converted rows and result. A repository of a Db runs it
   * from the Db's compiled statements (internal/compiled-queries.ts): `shape` must name every
   * difference in the SQL `build()` makes, and `params` be its parameters in SQL order. A
   * repository on a kysely of the caller's (RepositoryContext without `queries`) builds it
   * every time through that kysely and its plugins.
   */
  async #run(shape: string, params: readonly unknown[], build: () => Compilable<unknown>) {
    if (this.#queries === undefined) {
      const result = await this.#db.executeQuery<Rec>(build());
      return { result, rows: result.rows.map((r) => this.#fromDbRow(r)) };
    }
    const result = await runCompiled(this.#queries, this.model, this.#db, shape, params, build);
    return { result, rows: result.rows.map((r) => this.#codec.fromRawRow(r)) };
  }

  /** SELECT * by `where` (in this repository's scope unless given), ordered, limited. */
  async #selectRows(
    where: Rec | undefined,
    o: {
      orderBy?: OrderPairs | undefined;
      limit?: number | undefined;
      offset?: number | undefined;
      scope?: Scope | undefined;
    } = {},
  ): Promise<Rec[]> {
    const plan = this.#codec.plan(where, o.scope ?? this.#scope);
    const pairs = o.orderBy ?? [];
    const params = [...plan.params];
    if (o.limit !== undefined) params.push(o.limit);
    if (o.offset !== undefined) params.push(o.offset);
    const shape = `select ${plan.key}|${pairs.join(';')}|${o.limit !== undefined}|${o.offset !== undefined}`;
    const { rows } = await this.#run(shape, params, () => {
      let q = this.#db
        .selectFrom(this.model.table)
        .selectAll()
        .where((eb) => plan.build(eb));
      for (const [c, d] of pairs) q = q.orderBy(c, d);
      if (o.limit !== undefined) q = q.limit(o.limit);
      if (o.offset !== undefined) q = q.offset(o.offset);
      return q;
    });
    return rows;
  }

  /** The row with this primary key, or undefined. */
  async find(id: Row<M>[keyof Row<M>]): Promise<Row<M> | undefined> {
    const [row] = await this.#selectRows({ [this.#pk]: id });
    return row as Row<M> | undefined;
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
    const [row] = await this.#selectRows(where as Rec, { limit: 1 });
    return row as Row<M> | undefined;
  }

  /** Rows matching `where` (equality, null, or IN for arrays), ordered and limited. */
  async findMany<W extends RelationName<M> = never>(
    where: Where<M> = {},
    options: FindManyOptions<M, W> = {},
  ): Promise<RowWith<M, W>[]> {
    const orderBy = this.#codec.orderPairs(options.orderBy);
    let limit = options.limit;
    if (limit !== undefined) checkCount('limit', limit, 0);
    if (options.offset !== undefined) {
      checkCount('offset', options.offset, 0);
      limit ??= MAX_LIMIT;
    }
    const rows = await this.#selectRows(where as Rec, { orderBy, limit, offset: options.offset });
    await this.#load(rows, options.with);
    return rows as RowWith<M, W>[];
  }

  /** The number of rows matching `where`. */
  async count(where: Where<M> = {}): Promise<number> {
    const plan = this.#codec.plan(where as Rec, this.#scope);
    const { rows } = await this.#run(`count ${plan.key}`, plan.params, () =>
      this.#db
        .selectFrom(this.model.table)
        .select((eb) => eb.fn.countAll().as('count'))
        .where((eb) => plan.build(eb)),
    );
    if (rows[0] === undefined) throw noRow();
    return Number(rows[0]['count']);
  }

  /** True when a row matches `where`. */
  async exists(where: Where<M> = {}): Promise<boolean> {
    const plan = this.#codec.plan(where as Rec, this.#scope);
    const { rows } = await this.#run(`exists ${plan.key}`, [...plan.params, 1], () =>
      this.#db
        .selectFrom(this.model.table)
        .select(this.#pk)
        .where((eb) => plan.build(eb))
        .limit(1),
    );
    return rows.length > 0;
  }

  /** UPDATE … SET `set` WHERE `where` in `scope`; the number of rows matched. */
  async #updateWhere(set: Rec, where: Rec, scope: Scope): Promise<number> {
    const plan = this.#codec.plan(where, scope);
    const { result } = await this.#run(
      `update-where ${Object.keys(set).join(',')}|${plan.key}`,
      [...Object.values(set), ...plan.params],
      () =>
        this.#db
          .updateTable(this.model.table)
          .set(set)
          .where((eb) => plan.build(eb)),
    );
    return Number(result.numAffectedRows ?? 0);
  }

  #stamp(values: Rec, isInsert: boolean): Rec {
    if (!this.model.hasTimestamps) return values;
    const now = new Date();
    return isInsert ? { createdAt: now, updatedAt: now, ...values } : { ...values, updatedAt: now };
  }

  async #byKeys(where: Rec): Promise<Row<M>> {
    const [row] = await this.#selectRows(where, { scope: 'all' });
    if (row === undefined) throw noRow();
    return row as Row<M>;
  }

  /** Inserts a row and returns it as stored (with its generated key and defaults). */
  async insert(values: Insert<M>): Promise<Row<M>> {
    const row = this.#toDbRow(this.#stamp(values as Rec, true));
    // MySQL has no INSERT … RETURNING: the row is read back by its key.
    const isReturning = this.#ctx.dialect !== 'mysql';
    const { result, rows } = await this.#run(
      `insert ${Object.keys(row).join(',')}|${isReturning}`,
      Object.values(row),
      () => {
        const q = this.#db.insertInto(this.model.table).values(row);
        return isReturning ? q.returningAll() : q;
      },
    );
    if (isReturning) {
      if (rows[0] === undefined) throw noRow();
      return rows[0] as Row<M>;
    }
    const given = (values as Rec)[this.#pk];
    return this.#byKeys({ [this.#pk]: given ?? Number(result.insertId) });
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
    const columns = Object.keys(set);
    if (columns.length === 0) return this.find(id);
    const plan = this.#codec.plan({ [this.#pk]: id }, this.#scope);
    // One round trip where UPDATE … RETURNING exists; MySQL reads the row back by its key.
    const isReturning = this.#ctx.dialect !== 'mysql';
    const { result, rows } = await this.#run(
      `update ${columns.join(',')}|${plan.key}|${isReturning}`,
      [...Object.values(set), ...plan.params],
      () => {
        const q = this.#db
          .updateTable(this.model.table)
          .set(set)
          .where((eb) => plan.build(eb));
        return isReturning ? q.returningAll() : q;
      },
    );
    if (isReturning) return rows[0] as Row<M> | undefined;
    if (Number(result.numAffectedRows ?? 0) === 0) return undefined;
    return this.#byKeys({ [this.#pk]: id });
  }

  /** Updates every row matching `where`; returns how many matched (changed or not). */
  async updateMany(where: Where<M>, patch: Update<M>): Promise<number> {
    return this.#updateWhere(
      this.#toDbRow(this.#stamp(patch as Rec, false)),
      where as Rec,
      this.#scope,
    );
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
      const set = this.#toDbRow({ deletedAt: new Date() });
      return (await this.#updateWhere(set, { [this.#pk]: id }, 'live')) > 0;
    }
    return this.forceDelete(id);
  }

  /** Removes the row with this key for good, soft delete or not. */
  async forceDelete(id: Row<M>[keyof Row<M>]): Promise<boolean> {
    const plan = this.#codec.plan({ [this.#pk]: id }, 'all');
    const { result } = await this.#run(`delete ${plan.key}`, plan.params, () =>
      this.#db.deleteFrom(this.model.table).where((eb) => plan.build(eb)),
    );
    return Number(result.numAffectedRows ?? 0) > 0;
  }

  /** Brings back a soft-deleted row; returns true when one was restored. */
  async restore(id: Row<M>[keyof Row<M>]): Promise<boolean> {
    if (!this.model.isSoftDelete)
      throw new OrmError(
        ERROR_CODES.INVALID_QUERY,
        `model "${this.model.table}" has no softDelete, so nothing can be restored`,
      );
    const set = this.#toDbRow(this.#stamp({ deletedAt: null }, false));
    return (await this.#updateWhere(set, { [this.#pk]: id }, 'trashed')) > 0;
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
    const items = await this.#selectRows(o.where as Rec, {
      orderBy,
      limit: o.perPage,
      offset: (o.page - 1) * o.perPage,
    });
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

  #withPk(orderBy: OrderBy<M> | undefined): OrderPairs {
    const pairs = this.#codec.orderPairs(orderBy);
    // The key breaks ties, so equal sort values never straddle two pages twice or not at all.
    if (!pairs.some(([c]) => c === this.#pk)) pairs.push([this.#pk, 'asc']);
    return pairs;
  }

  async #keysetPage<W extends string>(o: KeysetOptions<M, W>): Promise<KeysetPage<RowWith<M, W>>> {
    checkCount('limit', o.limit, 1);
    const pairs = this.#withPk(o.orderBy);
    const scope = `${this.model.table}:${pairs.map(([c, d]) => `${c} ${d}`).join(',')}`;
    const base = this.#codec.plan(o.where as Rec, this.#scope);
    const after =
      o.after === undefined || o.after === null || o.after === ''
        ? undefined
        : this.#codec.after(pairs, decodeCursor(this.#ctx.secret, scope, o.after, pairs.length));
    const { rows } = await this.#run(
      `keyset ${base.key}|${after?.key ?? ''}|${scope}`,
      [...base.params, ...(after?.params ?? []), o.limit + 1],
      () => {
        let q = this.#db
          .selectFrom(this.model.table)
          .selectAll()
          .where((eb) =>
            after === undefined
              ? base.build(eb)
              : // Without a filter, the cursor condition alone: the SQL a kysely user writes.
                base.isEmpty
                ? after.build(eb)
                : eb.and([base.build(eb), after.build(eb)]),
          )
          .limit(o.limit + 1);
        for (const [c, d] of pairs) q = q.orderBy(c, d);
        return q;
      },
    );
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
    const owner: RelationOwner = {
      model: this.model,
      codec: this.#codec,
      kysely: this.#db,
      dialect: this.#ctx.dialect,
      findMany: (target: Model, where: Rec, orderBy?: readonly string[]) =>
        new Repository(target, this.#ctx).findMany(
          where as never,
          orderBy === undefined ? {} : { orderBy: orderBy as never },
        ) as Promise<Rec[]>,
    };
    await loadRelations(owner, rows, names);
  }
}
