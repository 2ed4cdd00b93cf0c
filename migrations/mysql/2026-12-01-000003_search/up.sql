-- Expand only: the previous release keeps working against this schema during a rolling
-- deploy (it names its columns in every insert and select, so it never sees the new ones).

-- SearchPeople (R6.2): every lookup is an index probe, on each backend.
--
-- Emails and names are compared ignoring case, but the tables are utf8mb4_bin
-- (case-sensitive), and MariaDB has no functional indexes. So each folded value is a
-- VIRTUAL generated column, LOWER() of the stored one, and the index is on it: nothing is
-- stored twice, nothing for the application or the sync to keep in step, and adding the
-- columns rebuilds no table (only the indexes are built). Queries compare the column with
-- LOWER() of the query, so both sides fold alike. A name prefix is a range on the folded
-- column (`>= LOWER(q)` and `< LOWER(q) || U+10FFFF`), which utf8mb4_bin orders by code
-- point, rather than a LIKE, which would need its wildcards escaped.
--
-- Phone numbers are stored in E.164 and the query is parsed to E.164 first; source ids
-- and SIS IDs are compared as they are. (district_id, source_id) is indexed already.
ALTER TABLE students
  ADD COLUMN given_name_lower VARCHAR(255) AS (LOWER(given_name)) VIRTUAL,
  ADD COLUMN family_name_lower VARCHAR(255) AS (LOWER(family_name)) VIRTUAL,
  ADD COLUMN email_lower VARCHAR(320) AS (LOWER(email)) VIRTUAL;
ALTER TABLE guardians
  ADD COLUMN given_name_lower VARCHAR(255) AS (LOWER(given_name)) VIRTUAL,
  ADD COLUMN family_name_lower VARCHAR(255) AS (LOWER(family_name)) VIRTUAL,
  ADD COLUMN email_lower VARCHAR(320) AS (LOWER(email)) VIRTUAL;
ALTER TABLE staff
  ADD COLUMN given_name_lower VARCHAR(255) AS (LOWER(given_name)) VIRTUAL,
  ADD COLUMN family_name_lower VARCHAR(255) AS (LOWER(family_name)) VIRTUAL,
  ADD COLUMN email_lower VARCHAR(320) AS (LOWER(email)) VIRTUAL;

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
