-- aeogate schema 21: the History page's search (events.search).
-- persons_name finds a person by name (case-insensitive) without reading
-- every person; a person's events are then found by events_person (schema
-- 1). Searches by door, zone or kind have no index of their own: each
-- event would pay three more index entries (bytes on disk and pages a
-- decision writes, issue 12), so such a search reads a bounded window of
-- seqs per page instead (AEOGATE_SEARCH_WINDOW) and says where to go on.
-- IF NOT EXISTS: a database whose user_version was set back migrates again.
CREATE INDEX IF NOT EXISTS persons_name ON persons(name COLLATE NOCASE);
