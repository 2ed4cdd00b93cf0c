CREATE INDEX ix_school_students_district ON school_students (district_id);
CREATE INDEX ix_school_staff_district ON school_staff (district_id);
CREATE INDEX ix_class_students_district ON class_students (district_id);
CREATE INDEX ix_class_teachers_district ON class_teachers (district_id);
CREATE INDEX ix_family_links_district ON family_links (district_id);
