-- Expand only: the source a district's roster is known to be in step with. A run whose
-- source reads the same (the digest of its records and of the planning settings),
-- against a roster unchanged since, would plan nothing: it reports what the run that
-- proved it reported, without loading the roster or planning again.
-- `digest` is empty while the run that claimed the row is still planning; every write to
-- the district's roster (an edit, an erasure, an applied change) deletes the row, so a
-- claim an edit overtook never settles.
CREATE TABLE settled_sources (
  district_id BIGINT NOT NULL,
  run_id BIGINT NOT NULL,
  digest VARCHAR(64) NOT NULL DEFAULT '',
  counts TEXT NOT NULL,
  issue_count BIGINT NOT NULL DEFAULT 0,
  PRIMARY KEY (district_id)
) ENGINE=InnoDB;
