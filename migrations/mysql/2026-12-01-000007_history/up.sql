-- Expand only: every change to a record's fields or memberships (R9.3), written in the
-- same transaction as the change. record_id is the record, or for a membership the person;
-- related_id the other side of a membership (school, class, student), so a class's
-- history shows its enrollments. run_id for a run's change; key_id and actor for an edit.
-- fields: JSON array of [field, old, new].
CREATE TABLE record_history (
  id BIGINT NOT NULL PRIMARY KEY,
  district_id BIGINT NOT NULL,
  record_kind VARCHAR(32) NOT NULL,
  record_id BIGINT NOT NULL,
  related_id BIGINT NULL,
  run_id BIGINT NULL,
  key_id BIGINT NULL,
  actor VARCHAR(255) NOT NULL,
  action VARCHAR(16) NOT NULL,
  fields MEDIUMTEXT NOT NULL,
  at DATETIME(6) NOT NULL,
  KEY ix_history_record (record_id, id),
  KEY ix_history_related (related_id, id),
  KEY ix_history_district (district_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4 COLLATE=utf8mb4_bin;
