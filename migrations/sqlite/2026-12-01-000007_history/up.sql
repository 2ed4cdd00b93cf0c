-- Expand only: every change to a record's fields or memberships (R9.3), written in the
-- same transaction as the change. record_id is the record, or for a membership the person;
-- related_id the other side of a membership (school, class, student), so a class's
-- history shows its enrollments. run_id for a run's change; key_id and actor for an edit.
-- fields: JSON array of [field, old, new].
CREATE TABLE record_history (
  id INTEGER NOT NULL PRIMARY KEY,
  district_id BIGINT NOT NULL,
  record_kind TEXT NOT NULL,
  record_id BIGINT NOT NULL,
  related_id BIGINT NULL,
  run_id BIGINT NULL,
  key_id BIGINT NULL,
  actor TEXT NOT NULL,
  action TEXT NOT NULL,
  fields TEXT NOT NULL,
  at TIMESTAMP NOT NULL
);
CREATE INDEX ix_history_record ON record_history (record_id, id);
CREATE INDEX ix_history_related ON record_history (related_id, id);
CREATE INDEX ix_history_district ON record_history (district_id);
