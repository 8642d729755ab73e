-- 20261129120100_add_notes_pinned: down (undoes 20261129120100_add_notes_pinned.sql)
alter table notes drop column pinned;
