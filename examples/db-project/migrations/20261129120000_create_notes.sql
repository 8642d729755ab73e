-- 20261129120000_create_notes: up
create table notes (
  id integer primary key autoincrement,
  body text not null,
  created_at text not null,
  updated_at text not null
);
