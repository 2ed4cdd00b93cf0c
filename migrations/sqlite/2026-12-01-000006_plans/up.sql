-- Expand only: review before apply (R9.1). The previous release names none of these
-- columns; its inserts take the defaults (no approval, a 24-hour plan lifetime).
ALTER TABLE sync_settings ADD COLUMN require_approval BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE sync_settings ADD COLUMN plan_ttl_seconds BIGINT NOT NULL DEFAULT 86400;

-- plan_digest: what the plan changes and the stored rows it touches, as they were when
-- it was made; an approval plans again from the same snapshot and applies only when the
-- digest is the same (else PLAN_STALE).
ALTER TABLE sync_runs ADD COLUMN approved BOOLEAN NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN plan_expires_at TIMESTAMP NULL;
ALTER TABLE sync_runs ADD COLUMN plan_digest TEXT NOT NULL DEFAULT '';

-- The scheduler's expiry sweep reads runs by plan expiry; most runs have none.
CREATE INDEX ix_runs_plan_expiry ON sync_runs (plan_expires_at);

-- The roster a planned run read (compressed, in parts), kept until the run is
-- approved, rejected, expired or erased: an approval applies the plan made from it,
-- never a fresh read.
CREATE TABLE run_snapshots (
  run_id BIGINT NOT NULL,
  part INTEGER NOT NULL,
  data BLOB NOT NULL,
  PRIMARY KEY (run_id, part)
);

-- A planned run's changes, in plan order, for ListPlannedChanges. fields: JSON array of
-- [field, old, new].
CREATE TABLE planned_changes (
  run_id BIGINT NOT NULL,
  seq BIGINT NOT NULL,
  record_kind TEXT NOT NULL,
  action TEXT NOT NULL,
  record_id BIGINT NULL,
  source_id TEXT NOT NULL,
  display_name TEXT NOT NULL,
  school_id BIGINT NULL,
  fields TEXT NOT NULL,
  PRIMARY KEY (run_id, seq)
);
