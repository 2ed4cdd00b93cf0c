-- Expand only: review before apply (R9.1). The previous release names none of these
-- columns; its inserts take the defaults (no approval, a 24-hour plan lifetime).
ALTER TABLE sync_settings
  ADD COLUMN require_approval BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN plan_ttl_seconds BIGINT NOT NULL DEFAULT 86400;

-- plan_digest: what the plan changes and the stored rows it touches, as they were when
-- it was made; an approval plans again from the same snapshot and applies only when the
-- digest is the same (else PLAN_STALE).
-- state widens for `awaiting_approval`; the previous release writes only shorter words.
ALTER TABLE sync_runs
  MODIFY COLUMN state VARCHAR(32) NOT NULL,
  ADD COLUMN approved BOOLEAN NOT NULL DEFAULT FALSE,
  ADD COLUMN plan_expires_at DATETIME(6) NULL,
  ADD COLUMN plan_digest VARCHAR(64) NOT NULL DEFAULT '';

-- The scheduler's expiry sweep reads runs by plan expiry; most runs have none.
CREATE INDEX ix_runs_plan_expiry ON sync_runs (plan_expires_at);

-- The roster a planned run read (compressed, in parts under the packet limit), kept
-- until the run is approved, rejected, expired or erased: an approval applies the plan
-- made from it, never a fresh read.
CREATE TABLE run_snapshots (
  run_id BIGINT NOT NULL,
  part INT NOT NULL,
  data LONGBLOB NOT NULL,
  PRIMARY KEY (run_id, part)
) ENGINE=InnoDB;

-- A planned run's changes, in plan order, for ListPlannedChanges. fields: JSON array of
-- [field, old, new].
CREATE TABLE planned_changes (
  run_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  record_kind VARCHAR(32) NOT NULL,
  action VARCHAR(16) NOT NULL,
  record_id BIGINT NULL,
  source_id VARCHAR(255) NOT NULL,
  display_name VARCHAR(512) NOT NULL,
  school_id BIGINT NULL,
  fields MEDIUMTEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
