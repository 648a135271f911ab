-- A session's alerts are listed through an index keyed by block of 4,096
-- ids first, as its observations are (0014): keyed by session first, each
-- alert raised in a thousand live sessions dirtied a leaf of its own, and
-- the checkpoints that wrote them back grew with the table (see blocks.go).
ALTER TABLE session_alerts ADD COLUMN id_block BIGINT GENERATED ALWAYS AS (id >> 12) STORED;
DROP INDEX session_alerts_session;
CREATE INDEX session_alerts_session ON session_alerts(id_block, session_id);
