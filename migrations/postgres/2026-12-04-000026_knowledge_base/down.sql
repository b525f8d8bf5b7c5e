DROP TABLE service_request_articles;
DROP TABLE kb_votes;
DROP TABLE kb_articles;
