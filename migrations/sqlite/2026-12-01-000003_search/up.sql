-- Expand only: the previous release keeps working against this schema during a rolling
-- deploy (it names its columns in every insert and select, so it never sees the new ones).

-- SearchPeople (R6.2): every lookup is an index probe, on each backend.
--
-- Emails and names are compared ignoring case. As on MySQL (whose tables are utf8mb4_bin,
-- case-sensitive, see the MySQL migration), each folded value is a VIRTUAL generated
-- column, lower() of the stored one, with an index on it; queries compare it with lower()
-- of the query, so both sides fold alike. SQLite's lower() folds ASCII letters only, so on
-- SQLite "É" and "é" stay distinct. A name prefix is a range on the folded column
-- (`>= lower(q)` and `< lower(q) || U+10FFFF`), which BINARY collation orders by code
-- point, rather than a LIKE (which SQLite would not serve from these indexes).
-- (An expression index alone would do on SQLite, but one schema.rs serves both backends,
-- so both have the same columns.)

ALTER TABLE students ADD COLUMN given_name_lower TEXT GENERATED ALWAYS AS (lower(given_name)) VIRTUAL;
ALTER TABLE students ADD COLUMN family_name_lower TEXT GENERATED ALWAYS AS (lower(family_name)) VIRTUAL;
ALTER TABLE students ADD COLUMN email_lower TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL;
ALTER TABLE guardians ADD COLUMN given_name_lower TEXT GENERATED ALWAYS AS (lower(given_name)) VIRTUAL;
ALTER TABLE guardians ADD COLUMN family_name_lower TEXT GENERATED ALWAYS AS (lower(family_name)) VIRTUAL;
ALTER TABLE guardians ADD COLUMN email_lower TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL;
ALTER TABLE staff ADD COLUMN given_name_lower TEXT GENERATED ALWAYS AS (lower(given_name)) VIRTUAL;
ALTER TABLE staff ADD COLUMN family_name_lower TEXT GENERATED ALWAYS AS (lower(family_name)) VIRTUAL;
ALTER TABLE staff ADD COLUMN email_lower TEXT GENERATED ALWAYS AS (lower(email)) VIRTUAL;

-- (district_id, given, family) serves a given-name prefix and a full name ("Bart Sim":
-- given equal, family a prefix); (district_id, family) a family-name prefix.
CREATE INDEX ix_students_sis ON students (district_id, sis_id);
CREATE INDEX ix_students_email ON students (district_id, email_lower);
CREATE INDEX ix_students_given ON students (district_id, given_name_lower, family_name_lower);
CREATE INDEX ix_students_family ON students (district_id, family_name_lower);

CREATE INDEX ix_guardians_sis ON guardians (district_id, sis_id);
CREATE INDEX ix_guardians_email ON guardians (district_id, email_lower);
CREATE INDEX ix_guardians_given ON guardians (district_id, given_name_lower, family_name_lower);
CREATE INDEX ix_guardians_family ON guardians (district_id, family_name_lower);
CREATE INDEX ix_guardians_sms ON guardians (district_id, sms_number);
CREATE INDEX ix_guardians_home_phone ON guardians (district_id, home_phone);

CREATE INDEX ix_staff_sis ON staff (district_id, sis_id);
CREATE INDEX ix_staff_email ON staff (district_id, email_lower);
CREATE INDEX ix_staff_given ON staff (district_id, given_name_lower, family_name_lower);
CREATE INDEX ix_staff_family ON staff (district_id, family_name_lower);
CREATE INDEX ix_staff_sms ON staff (district_id, sms_number);
CREATE INDEX ix_staff_home_phone ON staff (district_id, home_phone);
