/** @module */
// kysely's raw SQL tag, so migrations and queries need no direct kysely import.
export { sql } from 'kysely';
export type { Column, ColumnKind, DialectName } from './column.js';
export { column } from './column.js';
export type {
  CreateDb,
  CreateDbOptions,
  Db,
  DbConnectionOptions,
  DbPostgresOptions,
  TransactionOptions,
  TransactionRetryOptions,
} from './create-db.js';
export { createDb } from './create-db.js';
export { dbConfigFromEnv, dialectOfUrl } from './db-config-from-env.js';
export type { OrmErrorCode, OrmErrorOptions, TransactionConflict } from './errors.js';
export { ERROR_CODES, ERROR_DESCRIPTIONS, OrmError } from './errors.js';
export type { PageLinks } from './link-header.js';
export { linkHeader } from './link-header.js';
export type {
  MigrationModule,
  MigrationStatus,
  Migrator,
  MigratorOptions,
} from './migrator.js';
export { createMigrator } from './migrator.js';
export type {
  AllColumns,
  Columns,
  Insert,
  InsertOf,
  Model,
  ModelOptions,
  Row,
  RowOf,
  Update,
  UpdateOf,
} from './model.js';
export { defineModel } from './model.js';
export { prepared } from './prepared.js';
export type {
  BelongsTo,
  HasMany,
  HasOne,
  Loaded,
  ManyToMany,
  Relation,
  WithRelations,
} from './relations.js';
export { belongsTo, hasMany, hasOne, manyToMany, relate } from './relations.js';
export { Repository } from './repository.js';
export type {
  ColumnOf,
  FindManyOptions,
  KeysetOptions,
  KeysetPage,
  OrderBy,
  Page,
  PageOptions,
  RepositoryContext,
  RowWith,
  UpsertOptions,
  Where,
} from './repository-types.js';
