-- Expand only: the per-school safety threshold (R7.5). The previous release does not
-- name the column; its inserts get the default.
ALTER TABLE sync_settings ADD COLUMN school_abandon_threshold_percent INT NOT NULL DEFAULT 30;
