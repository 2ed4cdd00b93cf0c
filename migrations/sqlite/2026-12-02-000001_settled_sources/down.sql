DROP TABLE settled_sources;
