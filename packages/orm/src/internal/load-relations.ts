/**
 * Eager loading of relations (`with: ['posts']`): one extra query per relation for a whole
 * list of rows, never one per row, and never lazily.
 */
import type { Kysely } from 'kysely';
import { type DialectName, fromDb } from '../column.js';
import { ERROR_CODES, OrmError } from '../errors.js';
import type { Model } from '../model.js';
import type { Relation } from '../relations.js';
import { ModelCodec, type Rec } from './model-codec.js';

/** The model whose rows get their relations, and how to read a related model's rows. */
export interface RelationOwner {
  readonly model: Model;
  readonly codec: ModelCodec;
  // biome-ignore lint/suspicious/noExplicitAny: the schema comes from models, not a DB type.
  readonly kysely: Kysely<any>;
  readonly dialect: DialectName;
  /** `findMany` of the related model's live rows (a callback, so no import cycle with Repository). */
  findMany(target: Model, where: Rec, orderBy?: readonly string[]): Promise<Rec[]>;
}

/** Sets `row[name]` on every row for each relation in `names`. */
export async function loadRelations(
  owner: RelationOwner,
  rows: Rec[],
  names: readonly string[] | undefined,
): Promise<void> {
  if (names === undefined || names.length === 0 || rows.length === 0) return;
  const relations = (owner.model as { relations?: Record<string, Relation> }).relations ?? {};
  for (const name of names) {
    const rel = relations[name];
    if (rel === undefined)
      throw new OrmError(
        ERROR_CODES.INVALID_QUERY,
        `"${name}" is not a relation of model "${owner.model.table}"`,
      );
    await loadOne(owner, rows, name, rel);
  }
}

const distinct = (vals: unknown[]) => [
  ...new Set(vals.filter((v) => v !== null && v !== undefined)),
];
// Keys compare as strings: a bigint id and its string form from another driver are the same row.
const key = (v: unknown) => String(v);

async function loadOne(owner: RelationOwner, rows: Rec[], name: string, rel: Relation) {
  const pk = owner.model.primaryKey;
  if (rel.kind === 'belongsTo') {
    const ownerKey = rel.ownerKey ?? rel.target.primaryKey;
    const ids = distinct(rows.map((r) => r[rel.foreignKey]));
    const found = ids.length === 0 ? [] : await owner.findMany(rel.target, { [ownerKey]: ids });
    const by = new Map(found.map((t) => [key(t[ownerKey]), t]));
    for (const r of rows) r[name] = by.get(key(r[rel.foreignKey])) ?? null;
    return;
  }
  if (rel.kind === 'hasMany' || rel.kind === 'hasOne') {
    const localKey = rel.localKey ?? pk;
    const ids = distinct(rows.map((r) => r[localKey]));
    const found =
      ids.length === 0
        ? []
        : await owner.findMany(rel.target, { [rel.foreignKey]: ids }, [rel.target.primaryKey]);
    const by = new Map<string, Rec[]>();
    for (const t of found) {
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
  const ids = distinct(rows.map((r) => r[pk]));
  const by = new Map<string, Rec[]>();
  if (ids.length > 0) {
    const t = rel.target.table;
    const tpk = rel.target.primaryKey;
    const targetCodec = ModelCodec.of(rel.target, owner.dialect);
    let q = owner.kysely
      .selectFrom(t)
      .innerJoin(rel.through, `${rel.through}.${rel.relatedKey}`, `${t}.${tpk}`)
      .selectAll(t)
      .select(`${rel.through}.${rel.foreignKey} as rwsOwnerKey`)
      .where(
        `${rel.through}.${rel.foreignKey}`,
        'in',
        ids.map((v) => owner.codec.toDb(pk, v)),
      )
      .orderBy(`${t}.${tpk}`);
    if (rel.target.isSoftDelete) q = q.where(`${t}.deletedAt`, 'is', null);
    for (const raw of await q.execute()) {
      const { rwsOwnerKey, ...rest } = raw as Rec;
      const k = key(fromDb(owner.codec.kind(pk), rwsOwnerKey));
      const list = by.get(k) ?? [];
      list.push(targetCodec.fromDbRow(rest));
      by.set(k, list);
    }
  }
  for (const r of rows) r[name] = by.get(key(r[pk])) ?? [];
}
