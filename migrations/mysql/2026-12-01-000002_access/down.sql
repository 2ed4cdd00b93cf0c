ALTER TABLE uploads DROP COLUMN last_used_at;
ALTER TABLE sync_settings DROP COLUMN source_secret_sealed;
DROP TABLE suppressions;
DROP TABLE audit_events;
DROP TABLE api_key_districts;
DROP TABLE api_keys;
