-- Expand only: undo (R9.2). The previous release names none of these columns; its
-- inserts take the defaults (schedule running, no reverted run).
ALTER TABLE sync_settings
  ADD COLUMN schedule_paused BOOLEAN NOT NULL DEFAULT FALSE;

-- A revert run (trigger `revert`) names the run it reverses.
ALTER TABLE sync_runs
  ADD COLUMN reverts_run_id BIGINT NULL;

-- What the latest run of a district that changed something did, row by row, so a
-- revert can put every row back (ids and timestamps included): the rows it created, the
-- rows it changed (before and after), the memberships it added and removed, the
-- abandonments it opened and closed. Compressed, in parts under the packet limit; only
-- the district's latest such run keeps one (an earlier run cannot be reverted).
CREATE TABLE run_undo (
  run_id BIGINT NOT NULL,
  part INT NOT NULL,
  district_id BIGINT NOT NULL,
  data LONGBLOB NOT NULL,
  PRIMARY KEY (run_id, part),
  KEY ix_undo_district (district_id)
) ENGINE=InnoDB;
