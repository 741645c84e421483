-- aeogate schema 4: retention. Pruning deletes a prefix of the event chain
-- under a signed checkpoint and records itself as an audit.pruned event;
-- verification looks the newest one up to know how far the log was pruned.
-- A partial index: it costs nothing on the events the doors write.
CREATE INDEX events_pruned ON events(seq) WHERE kind = 'audit.pruned';
