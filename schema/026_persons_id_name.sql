-- aeogate schema 26: an export's names (issue 12). Every exported event
-- carries its person's name (person_name), one lookup a row; through the
-- primary key's own index that is two B-tree seeks (the id to the rowid,
-- the rowid to the row). This index holds the name beside the id, so the
-- lookup is one seek that never reads the persons table: 2.7 against
-- 1.1 us of CPU a row at 2M persons. It costs each person one more index
-- entry (a few dozen bytes), and nothing per event.
-- IF NOT EXISTS: a database whose user_version was set back migrates again.
CREATE INDEX IF NOT EXISTS persons_id_name ON persons(id, name);
