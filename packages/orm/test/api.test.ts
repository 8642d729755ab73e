import { expect, it } from 'vitest';

it('exports', async () => {
  expect(Object.keys(await import('../src/index.js')).sort()).toMatchInlineSnapshot(`
    [
      "ERROR_CODES",
      "ERROR_DESCRIPTIONS",
      "OrmError",
      "Repository",
      "belongsTo",
      "column",
      "createDb",
      "createMigrator",
      "dbConfigFromEnv",
      "defineModel",
      "dialectOfUrl",
      "hasMany",
      "hasOne",
      "linkHeader",
      "manyToMany",
      "prepared",
      "relate",
      "sql",
    ]
  `);
});

it('dialect subpaths export their factories', async () => {
  expect(Object.keys(await import('../src/dialects/postgres.js'))).toEqual([
    'createPostgresDialect',
  ]);
  expect(Object.keys(await import('../src/dialects/mysql.js'))).toEqual(['createMysqlDialect']);
  expect(Object.keys(await import('../src/dialects/sqlite.js'))).toEqual(['createSqliteDialect']);
});
