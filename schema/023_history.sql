-- aeogate schema 23: the History page's search (events.search) pages the
-- log newest first by seq, led by one of its filters: each index below
-- seeks straight to that door's, zone's or kind's events in seq order
-- (events_person, schema 1, serves a person), so a page reads about as
-- many rows as it shows, never the log. persons_name finds a person by
-- name (case-insensitive) without reading every person. IF NOT EXISTS: a
-- database whose user_version was set back migrates again.
CREATE INDEX IF NOT EXISTS events_door ON events(door, seq);
CREATE INDEX IF NOT EXISTS events_zone ON events(zone, seq);
CREATE INDEX IF NOT EXISTS events_kind ON events(kind, seq);
CREATE INDEX IF NOT EXISTS persons_name ON persons(name COLLATE NOCASE);
