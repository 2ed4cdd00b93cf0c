-- Expand only: the previous release keeps working against this schema during a rolling
-- deploy (it ignores the new columns and tables, and writes heartbeat_at, which the new
-- release still keeps).

-- A run is held by a lease (R7.6): the owner process, a token that grows at every claim
-- (the fence the apply commits on), and when it lapses unless renewed. attempts counts
-- claims, so a run that keeps killing its server is failed instead of retried for ever.
ALTER TABLE sync_runs ADD COLUMN lease_owner TEXT NULL;
ALTER TABLE sync_runs ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0;
ALTER TABLE sync_runs ADD COLUMN lease_expires_at TIMESTAMP NULL;
ALTER TABLE sync_runs ADD COLUMN attempts INTEGER NOT NULL DEFAULT 0;

-- Node numbers for ids (time | node | sequence): a live process holds its node by a lease,
-- so two processes never generate ids from the same node.
CREATE TABLE id_nodes (
  node INTEGER NOT NULL PRIMARY KEY,
  owner TEXT NOT NULL,
  expires_at TIMESTAMP NOT NULL
);
