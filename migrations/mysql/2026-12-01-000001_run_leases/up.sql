-- Expand only: the previous release keeps working against this schema during a rolling
-- deploy (it ignores the new columns and tables, and writes heartbeat_at, which the new
-- release still keeps).

-- A run is held by a lease (R7.6): the owner process, a token that grows at every claim
-- (the fence the apply commits on), and when it lapses unless renewed. attempts counts
-- claims, so a run that keeps killing its server is failed instead of retried for ever.
ALTER TABLE sync_runs
  ADD COLUMN lease_owner VARCHAR(128) NULL,
  ADD COLUMN lease_token BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN lease_expires_at DATETIME(6) NULL,
  ADD COLUMN attempts INT NOT NULL DEFAULT 0;

-- Node numbers for ids (time | node | sequence): a live process holds its node by a lease,
-- so two processes never generate ids from the same node.
CREATE TABLE id_nodes (
  node INT NOT NULL PRIMARY KEY,
  owner VARCHAR(128) NOT NULL,
  expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
