DROP TABLE id_nodes;
ALTER TABLE sync_runs
  DROP COLUMN lease_owner,
  DROP COLUMN lease_token,
  DROP COLUMN lease_expires_at,
  DROP COLUMN attempts;
