import { describe, expectTypeOf, it } from 'vitest';
import {
  column,
  type Db,
  defineModel,
  hasMany,
  type Insert,
  type Row,
  relate,
  type Update,
} from '../src/index.js';

const User = defineModel('users', {
  columns: {
    id: column.id(),
    email: column.text(),
    name: column.text().nullable(),
    score: column.integer().default(),
    meta: column.json<{ tags: string[] }>(),
  },
  timestamps: true,
  softDelete: true,
});
const Post = defineModel('posts', {
  columns: { id: column.id(), authorId: column.integer(), title: column.text() },
});

describe('defineModel', () => {
  it('infers the row type, with the columns timestamps and softDelete add', () => {
    expectTypeOf<Row<typeof User>>().toEqualTypeOf<{
      id: number;
      email: string;
      name: string | null;
      score: number;
      meta: { tags: string[] };
      createdAt: Date;
      updatedAt: Date;
      deletedAt: Date | null;
    }>();
  });

  it('requires non-null columns without a default on insert, and nothing on update', () => {
    expectTypeOf<Insert<typeof User>>().toEqualTypeOf<{
      email: string;
      meta: { tags: string[] };
      id?: number;
      name?: string | null;
      score?: number;
      createdAt?: Date;
      updatedAt?: Date;
      deletedAt?: Date | null;
    }>();
    expectTypeOf<Update<typeof Post>>().toEqualTypeOf<{
      id?: number;
      authorId?: number;
      title?: string;
    }>();
  });

  it('types repository calls and eager-loaded relations', async () => {
    const db = {} as Db;
    const users = db.repo(relate(User, { posts: hasMany(Post, { foreignKey: 'authorId' }) }));
    // @ts-expect-error email is required
    void users.insert({ meta: { tags: [] } });
    // @ts-expect-error unknown column in where
    void users.findMany({ nope: 1 });
    // @ts-expect-error foreign key must be a column of the target
    hasMany(Post, { foreignKey: 'nope' });
    const rows = await users.findMany(
      { email: 'a' },
      { with: ['posts'], orderBy: [['email', 'desc']] },
    );
    expectTypeOf(rows[0]?.posts).toEqualTypeOf<Row<typeof Post>[] | undefined>();
    const page = await users.paginate({ page: 1, perPage: 10 });
    expectTypeOf(page.totalPages).toEqualTypeOf<number>();
    const keyset = await users.paginate({ limit: 10, after: null });
    expectTypeOf(keyset.nextCursor).toEqualTypeOf<string | null>();
    // @ts-expect-error not a relation
    void users.findMany({}, { with: ['comments'] });
  });
});
