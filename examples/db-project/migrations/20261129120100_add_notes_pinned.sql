-- 20261129120100_add_notes_pinned: up
alter table notes add column pinned integer not null default 0;
