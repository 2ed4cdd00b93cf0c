DROP TABLE id_nodes;
ALTER TABLE sync_runs DROP COLUMN lease_owner;
ALTER TABLE sync_runs DROP COLUMN lease_token;
ALTER TABLE sync_runs DROP COLUMN lease_expires_at;
ALTER TABLE sync_runs DROP COLUMN attempts;
