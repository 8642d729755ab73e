import { sql } from 'kysely';
import type { Db } from '../src/index.js';

/** SQL types per dialect for the conformance schema (the table in docs/orm.md). */
const TYPES = {
  postgres: {
    id: 'serial primary key',
    text: 'text',
    varchar: 'varchar(255)',
    int: 'integer',
    ts: 'timestamptz',
    json: 'jsonb',
    bigint: 'bigint',
    bool: 'boolean',
    decimal: 'numeric(20,6)',
    blob: 'bytea',
  },
  mysql: {
    id: 'integer auto_increment primary key',
    text: 'text',
    varchar: 'varchar(255)',
    int: 'integer',
    ts: 'datetime(3)',
    json: 'json',
    bigint: 'bigint',
    bool: 'boolean',
    decimal: 'decimal(20,6)',
    blob: 'longblob',
  },
  sqlite: {
    id: 'integer primary key autoincrement',
    text: 'text',
    varchar: 'text',
    int: 'integer',
    ts: 'text',
    json: 'text',
    bigint: 'integer',
    bool: 'integer',
    decimal: 'text',
    blob: 'blob',
  },
} as const;

/** The tables of the conformance suite, every name prefixed so parallel runs never collide. */
export function schemaStatements(dialect: Db['dialect'], p: string): string[] {
  const t = TYPES[dialect];
  const stamps = `created_at ${t.ts} not null, updated_at ${t.ts} not null`;
  return [
    `create table ${p}_users (id ${t.id}, email ${t.varchar} not null, name ${t.text}, ${stamps}, deleted_at ${t.ts})`,
    `create unique index ${p}_users_email_unique on ${p}_users (email)`,
    `create table ${p}_posts (id ${t.id}, author_id ${t.int} not null, title ${t.varchar} not null, score ${t.int} not null, ${stamps}, constraint ${p}_posts_author_fk foreign key (author_id) references ${p}_users (id))`,
    `create table ${p}_profiles (id ${t.id}, user_id ${t.int} not null, bio ${t.text} not null)`,
    `create table ${p}_tags (id ${t.id}, name ${t.varchar} not null)`,
    `create table ${p}_post_tags (post_id ${t.int} not null, tag_id ${t.int} not null, primary key (post_id, tag_id))`,
    `create table ${p}_kinds (id ${t.id}, at ${t.ts}, doc ${t.json}, big ${t.bigint}, flag ${t.bool}, amount ${t.decimal}, data ${t.blob}, label ${t.text})`,
  ];
}

/** Tables in drop order. */
export function schemaTables(p: string): string[] {
  return ['kinds', 'post_tags', 'tags', 'profiles', 'posts', 'users'].map((n) => `${p}_${n}`);
}

export async function createSchema(db: Db, p: string): Promise<void> {
  for (const s of schemaStatements(db.dialect, p)) await sql.raw(s).execute(db.kysely);
}

export async function dropSchema(db: Db, p: string): Promise<void> {
  for (const t of schemaTables(p)) await sql.raw(`drop table if exists ${t}`).execute(db.kysely);
}
