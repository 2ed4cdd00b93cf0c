-- A link table's rows of a district are found through their parent (a district's
-- schools, classes or students) and the primary key that leads with it: an index on
-- district_id alone served only those reads, and cost a quarter of each link's insert.
DROP INDEX ix_school_students_district;
DROP INDEX ix_school_staff_district;
DROP INDEX ix_class_students_district;
DROP INDEX ix_class_teachers_district;
DROP INDEX ix_family_links_district;
