DROP TABLE planned_changes;
DROP TABLE run_snapshots;
DROP INDEX ix_runs_plan_expiry ON sync_runs;
ALTER TABLE sync_runs DROP COLUMN plan_digest, DROP COLUMN plan_expires_at, DROP COLUMN approved,
  MODIFY COLUMN state VARCHAR(16) NOT NULL;
ALTER TABLE sync_settings DROP COLUMN plan_ttl_seconds, DROP COLUMN require_approval;
