-- Expand only (the previous release ignores these tables and the new column).

-- API keys (S1): only a hash of the key is kept; keys are revoked, never deleted, so the
-- audit log can always name them.
CREATE TABLE api_keys (
  id BIGINT NOT NULL PRIMARY KEY,
  display_name VARCHAR(255) NOT NULL,
  role VARCHAR(16) NOT NULL,
  all_districts BOOLEAN NOT NULL,
  secret_hash CHAR(64) NOT NULL,
  rate_limit_per_second INT NOT NULL,
  created_at DATETIME(6) NOT NULL,
  last_used_at DATETIME(6) NULL,
  revoked_at DATETIME(6) NULL,
  UNIQUE KEY uq_api_keys_hash (secret_hash)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

CREATE TABLE api_key_districts (
  key_id BIGINT NOT NULL,
  district_id BIGINT NOT NULL,
  PRIMARY KEY (key_id, district_id),
  KEY ix_api_key_districts_district (district_id),
  CONSTRAINT fk_api_key_districts_key FOREIGN KEY (key_id) REFERENCES api_keys (id),
  CONSTRAINT fk_api_key_districts_district FOREIGN KEY (district_id) REFERENCES districts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Every call that changed something (S2.1). No foreign keys: an event outlives what it
-- names (an erased person, an erased district).
CREATE TABLE audit_events (
  id BIGINT NOT NULL PRIMARY KEY,
  at DATETIME(6) NOT NULL,
  key_id BIGINT NULL,
  actor VARCHAR(255) NOT NULL,
  method VARCHAR(128) NOT NULL,
  district_id BIGINT NULL,
  target_id BIGINT NULL,
  changed_fields TEXT NOT NULL,
  KEY ix_audit_district (district_id, id),
  KEY ix_audit_key (key_id, id),
  KEY ix_audit_at (at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Source ids later syncs skip, left by an erasure (S6.1): the id and nothing else.
CREATE TABLE suppressions (
  id BIGINT NOT NULL PRIMARY KEY,
  district_id BIGINT NOT NULL,
  record_kind VARCHAR(32) NOT NULL,
  source_id VARCHAR(255) NOT NULL,
  created_at DATETIME(6) NOT NULL,
  UNIQUE KEY uq_suppressions (district_id, record_kind, source_id),
  CONSTRAINT fk_suppressions_district FOREIGN KEY (district_id) REFERENCES districts (id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;

-- Source secrets sealed with AES-256-GCM under a key the database does not hold (S3.1).
-- The plain column stays for the previous release during a rolling deploy; this release
-- never writes a secret into it, and a later release drops it.
ALTER TABLE sync_settings ADD COLUMN source_secret_sealed TEXT NULL;

-- When an upload was last read by a run: uploads are kept for a while after (S2.2).
ALTER TABLE uploads ADD COLUMN last_used_at DATETIME(6) NULL;
