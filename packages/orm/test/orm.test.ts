import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { createDb } from '../src/index.js';
import { runOrmConformance, runPrefix } from './run-orm-conformance.js';
import { MYSQL_URL, POSTGRES_URL } from './targets.js';

const SQLITE_RETRY = {
  reason:
    'one SQLite connection cannot fail its own transaction; test/sqlite-busy.test.ts does it with two',
  tests: ['opt-in retry on a serialization failure raised by the database'],
};

runOrmConformance({
  name: 'postgres',
  requires: 'PostgreSQL on 127.0.0.1:5432 (database test)',
  create: () => createDb({ dialect: 'postgres', url: POSTGRES_URL }),
  childConfig: { dialect: 'postgres', url: POSTGRES_URL },
});

runOrmConformance({
  name: 'mariadb',
  requires: 'MariaDB/MySQL on 127.0.0.1:3306 (database test)',
  create: () => createDb({ dialect: 'mysql', url: MYSQL_URL }),
  childConfig: { dialect: 'mysql', url: MYSQL_URL },
});

runOrmConformance({
  name: 'sqlite memory',
  requires: 'better-sqlite3',
  create: () => createDb.memory(),
  skip: [
    SQLITE_RETRY,
    {
      reason: 'an in-memory database belongs to one process',
      tests: ['two processes migrating at once: the lock lets each migration run exactly once'],
    },
  ],
});

const file = join(tmpdir(), `rws-orm-${runPrefix()}.db`);
afterAll(() => {
  for (const f of [file, `${file}-wal`, `${file}-shm`]) rmSync(f, { force: true });
});
runOrmConformance({
  name: 'sqlite file',
  requires: 'better-sqlite3',
  create: () => createDb({ dialect: 'sqlite', options: { filename: file } }),
  childConfig: { dialect: 'sqlite', options: { filename: file } },
  skip: [SQLITE_RETRY],
});
