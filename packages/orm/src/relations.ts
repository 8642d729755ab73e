import type { Model, Row } from './model.js';

/** A relation from one model to another, loaded with `with: [name]`. */
export type Relation = HasMany<Model> | HasOne<Model> | BelongsTo<Model> | ManyToMany<Model>;

/** The target rows have a column (`foreignKey`) holding this row's `localKey`. */
export interface HasMany<T extends Model> {
  readonly kind: 'hasMany';
  readonly target: T;
  readonly foreignKey: string;
  readonly localKey: string | undefined;
}
/** As hasMany, with at most one target row. */
export interface HasOne<T extends Model> {
  readonly kind: 'hasOne';
  readonly target: T;
  readonly foreignKey: string;
  readonly localKey: string | undefined;
}
/** This row has a column (`foreignKey`) holding the target's `ownerKey`. */
export interface BelongsTo<T extends Model> {
  readonly kind: 'belongsTo';
  readonly target: T;
  readonly foreignKey: string;
  readonly ownerKey: string | undefined;
}
/** Rows linked through a pivot table: `through.foreignKey` → this row, `through.relatedKey` → target. */
export interface ManyToMany<T extends Model> {
  readonly kind: 'manyToMany';
  readonly target: T;
  readonly through: string;
  readonly foreignKey: string;
  readonly relatedKey: string;
}

type ColumnName<M extends Model> = keyof M['columns'] & string;

/** A one-to-many relation: `foreignKey` is a column of `target` (camelCase). */
export function hasMany<T extends Model>(
  target: T,
  options: { foreignKey: ColumnName<T>; localKey?: string },
): HasMany<T> {
  return { kind: 'hasMany', target, foreignKey: options.foreignKey, localKey: options.localKey };
}

/** A one-to-one relation: `foreignKey` is a column of `target`. */
export function hasOne<T extends Model>(
  target: T,
  options: { foreignKey: ColumnName<T>; localKey?: string },
): HasOne<T> {
  return { kind: 'hasOne', target, foreignKey: options.foreignKey, localKey: options.localKey };
}

/** The inverse of hasMany/hasOne: `foreignKey` is a column of this model. */
export function belongsTo<T extends Model>(
  target: T,
  options: { foreignKey: string; ownerKey?: ColumnName<T> },
): BelongsTo<T> {
  return { kind: 'belongsTo', target, foreignKey: options.foreignKey, ownerKey: options.ownerKey };
}

/**
 * A many-to-many relation through a pivot table (`through`, its SQL name) whose
 * `foreignKey` column points at this model and `relatedKey` column at the target (camelCase).
 */
export function manyToMany<T extends Model>(
  target: T,
  options: { through: string; foreignKey: string; relatedKey: string },
): ManyToMany<T> {
  return { kind: 'manyToMany', target, ...options };
}

/** What a relation loads as: an array for hasMany/manyToMany, a row or null otherwise. */
export type Loaded<R> =
  R extends HasMany<infer T>
    ? Row<T>[]
    : R extends ManyToMany<infer T>
      ? Row<T>[]
      : R extends HasOne<infer T>
        ? Row<T> | null
        : R extends BelongsTo<infer T>
          ? Row<T> | null
          : never;

/** A model with named relations. */
export type WithRelations<M extends Model, R extends Record<string, Relation>> = M & {
  readonly relations: R;
};

/**
 * Attaches relations to a model, for eager loading with `with: ['posts']` (one extra query per
 * relation; nothing loads lazily). Relations live beside the model, so two models can point at
 * each other without a cycle in their definitions.
 *
 * @example
 * ```ts
 * const UserWithPosts = relate(User, { posts: hasMany(Post, { foreignKey: 'authorId' }) });
 * const users = await db.repo(UserWithPosts).findMany({}, { with: ['posts'] });
 * ```
 */
export function relate<M extends Model, R extends Record<string, Relation>>(
  model: M,
  relations: R,
): WithRelations<M, R> {
  return { ...model, relations };
}
