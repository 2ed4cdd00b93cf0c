-- Expand only (the previous release ignores these tables and the new column).

-- API keys (S1): only a hash of the key is kept; keys are revoked, never deleted, so the
-- audit log can always name them.
CREATE TABLE api_keys (
  id INTEGER NOT NULL PRIMARY KEY,
  display_name TEXT NOT NULL,
  role TEXT NOT NULL,
  all_districts BOOLEAN NOT NULL,
  secret_hash TEXT NOT NULL,
  rate_limit_per_second INTEGER NOT NULL,
  created_at TIMESTAMP NOT NULL,
  last_used_at TIMESTAMP NULL,
  revoked_at TIMESTAMP NULL,
  CONSTRAINT uq_api_keys_hash UNIQUE (secret_hash)
);

CREATE TABLE api_key_districts (
  key_id BIGINT NOT NULL,
  district_id BIGINT NOT NULL,
  PRIMARY KEY (key_id, district_id),
  CONSTRAINT fk_api_key_districts_key FOREIGN KEY (key_id) REFERENCES api_keys (id),
  CONSTRAINT fk_api_key_districts_district FOREIGN KEY (district_id) REFERENCES districts (id)
);
CREATE INDEX ix_api_key_districts_district ON api_key_districts (district_id);

-- Every call that changed something (S2.1). No foreign keys: an event outlives what it
-- names (an erased person, an erased district).
CREATE TABLE audit_events (
  id INTEGER NOT NULL PRIMARY KEY,
  at TIMESTAMP NOT NULL,
  key_id BIGINT NULL,
  actor TEXT NOT NULL,
  method TEXT NOT NULL,
  district_id BIGINT NULL,
  target_id BIGINT NULL,
  changed_fields TEXT NOT NULL
);
CREATE INDEX ix_audit_district ON audit_events (district_id, id);
CREATE INDEX ix_audit_key ON audit_events (key_id, id);
CREATE INDEX ix_audit_at ON audit_events (at);

-- Source ids later syncs skip, left by an erasure (S6.1): the id and nothing else.
CREATE TABLE suppressions (
  id INTEGER NOT NULL PRIMARY KEY,
  district_id BIGINT NOT NULL,
  record_kind TEXT NOT NULL,
  source_id TEXT NOT NULL,
  created_at TIMESTAMP NOT NULL,
  CONSTRAINT uq_suppressions UNIQUE (district_id, record_kind, source_id),
  CONSTRAINT fk_suppressions_district FOREIGN KEY (district_id) REFERENCES districts (id)
);

-- Source secrets sealed with AES-256-GCM under a key the database does not hold (S3.1).
-- The plain column stays for the previous release during a rolling deploy; this release
-- never writes a secret into it, and a later release drops it.
ALTER TABLE sync_settings ADD COLUMN source_secret_sealed TEXT NULL;

-- When an upload was last read by a run: uploads are kept for a while after (S2.2).
ALTER TABLE uploads ADD COLUMN last_used_at TIMESTAMP NULL;
