/** The real databases the tests use (see the issue: trust auth on 127.0.0.1). */
export const POSTGRES_URL = 'postgres://postgres@127.0.0.1:5432/test';
export const MYSQL_URL = 'mysql://root@127.0.0.1:3306/test';
