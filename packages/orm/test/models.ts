import {
  belongsTo,
  column,
  defineModel,
  hasMany,
  hasOne,
  manyToMany,
  relate,
} from '../src/index.js';

/** The conformance models over tables prefixed with `p`. */
export function makeModels(p: string) {
  const User = defineModel(`${p}_users`, {
    columns: { id: column.id(), email: column.text(), name: column.text().nullable() },
    timestamps: true,
    softDelete: true,
  });
  const Post = defineModel(`${p}_posts`, {
    columns: {
      id: column.id(),
      authorId: column.integer(),
      title: column.text(),
      score: column.integer(),
    },
    timestamps: true,
  });
  const Profile = defineModel(`${p}_profiles`, {
    columns: { id: column.id(), userId: column.integer(), bio: column.text() },
  });
  const Tag = defineModel(`${p}_tags`, { columns: { id: column.id(), name: column.text() } });
  const Kind = defineModel(`${p}_kinds`, {
    columns: {
      id: column.id(),
      at: column.timestamp().nullable(),
      doc: column.json<{ a: number; nested: { snake_key: string[] } }>().nullable(),
      big: column.bigint().nullable(),
      flag: column.boolean().nullable(),
      amount: column.decimal().nullable(),
      data: column.binary().nullable(),
      label: column.text().nullable(),
    },
  });
  const UserR = relate(User, {
    posts: hasMany(Post, { foreignKey: 'authorId' }),
    profile: hasOne(Profile, { foreignKey: 'userId' }),
  });
  const PostR = relate(Post, {
    author: belongsTo(User, { foreignKey: 'authorId' }),
    tags: manyToMany(Tag, { through: `${p}_post_tags`, foreignKey: 'postId', relatedKey: 'tagId' }),
  });
  return { User, Post, Profile, Tag, Kind, UserR, PostR };
}
