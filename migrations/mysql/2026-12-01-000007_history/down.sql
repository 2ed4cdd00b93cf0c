DROP TABLE record_history;
