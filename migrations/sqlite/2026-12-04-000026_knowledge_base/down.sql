DROP TRIGGER kb_articles_fts_insert;
DROP TRIGGER kb_articles_fts_delete;
DROP TRIGGER kb_articles_fts_update;
DROP TABLE kb_articles_fts;
DROP TABLE service_request_articles;
DROP TABLE kb_votes;
DROP TABLE kb_articles;
