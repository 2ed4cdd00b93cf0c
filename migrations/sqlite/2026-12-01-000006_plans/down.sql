DROP TABLE planned_changes;
DROP TABLE run_snapshots;
DROP INDEX ix_runs_plan_expiry;
ALTER TABLE sync_runs DROP COLUMN plan_digest;
ALTER TABLE sync_runs DROP COLUMN plan_expires_at;
ALTER TABLE sync_runs DROP COLUMN approved;
ALTER TABLE sync_settings DROP COLUMN plan_ttl_seconds;
ALTER TABLE sync_settings DROP COLUMN require_approval;
