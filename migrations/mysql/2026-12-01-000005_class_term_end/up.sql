-- Expand only: the end of each class's term, as the source last gave it (R5.10). A
-- class gone from the source whose term has ended is archived as ended, not abandoned.
-- NULL: no term known (a manual class, a source without academic sessions). The
-- previous release does not name the column; its inserts leave it NULL.
ALTER TABLE classes ADD COLUMN term_end_date DATE NULL;
