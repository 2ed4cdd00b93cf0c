DROP TABLE run_undo;
ALTER TABLE sync_runs DROP COLUMN reverts_run_id;
ALTER TABLE sync_settings DROP COLUMN schedule_paused;
