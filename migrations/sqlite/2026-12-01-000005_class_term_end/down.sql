ALTER TABLE classes DROP COLUMN term_end_date;
