-- 20261129120000_create_notes: down (undoes 20261129120000_create_notes.sql)
drop table notes;
