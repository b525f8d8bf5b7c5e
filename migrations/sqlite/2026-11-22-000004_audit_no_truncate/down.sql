-- SQLite has no TRUNCATE: its DELETE trigger (first migration) already covers an
-- unfiltered DELETE. Kept so both backends carry the same migration names.
SELECT 1;
