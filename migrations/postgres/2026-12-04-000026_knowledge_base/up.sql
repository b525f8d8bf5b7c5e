-- After-sales, fourth part: the knowledge base (知識庫) — articles written,
-- reviewed by someone other than the author, published, searched in Chinese
-- and English; votes on whether an article helped; the requests that link to
-- an article.
--
-- `search_text` holds the article's search tokens, written by the server:
-- each word of Latin letters and digits in lower case, and each pair of
-- neighbouring Chinese characters (and a lone one) as `u` and the characters'
-- code points in hex — plain ASCII words, which PostgreSQL's `simple`
-- configuration and SQLite's FTS5 split alike, whatever the locale.
CREATE TABLE kb_articles (
    id BIGSERIAL PRIMARY KEY,
    office_id BIGINT REFERENCES offices (id),
    category TEXT NOT NULL,
    title TEXT NOT NULL,
    body TEXT NOT NULL,
    tags TEXT NOT NULL,
    product TEXT,
    status TEXT NOT NULL CHECK (status IN ('draft', 'in_review', 'published', 'archived')),
    author_user_id BIGINT NOT NULL REFERENCES users (id),
    reviewer_user_id BIGINT REFERENCES users (id),
    review_note TEXT,
    published_at TIMESTAMP,
    archived_at TIMESTAMP,
    search_text TEXT NOT NULL,
    view_count BIGINT NOT NULL DEFAULT 0,
    helpful_count BIGINT NOT NULL DEFAULT 0,
    unhelpful_count BIGINT NOT NULL DEFAULT 0,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    version BIGINT NOT NULL DEFAULT 1
);
CREATE INDEX kb_articles_office ON kb_articles (office_id, id);
CREATE INDEX kb_articles_search ON kb_articles USING GIN (to_tsvector('simple', search_text));

-- One vote per person and article; changing one's mind changes it.
CREATE TABLE kb_votes (
    id BIGSERIAL PRIMARY KEY,
    article_id BIGINT NOT NULL REFERENCES kb_articles (id),
    office_id BIGINT REFERENCES offices (id),
    user_id BIGINT NOT NULL REFERENCES users (id),
    helpful BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    UNIQUE (article_id, user_id)
);

-- A frequent question answered by an article (常見問題).
CREATE TABLE service_request_articles (
    id BIGSERIAL PRIMARY KEY,
    request_id BIGINT NOT NULL REFERENCES service_requests (id),
    article_id BIGINT NOT NULL REFERENCES kb_articles (id),
    office_id BIGINT NOT NULL REFERENCES offices (id),
    linked_by BIGINT NOT NULL REFERENCES users (id),
    linked_at TIMESTAMP NOT NULL,
    UNIQUE (request_id, article_id)
);
CREATE INDEX service_request_articles_article ON service_request_articles (article_id);

CREATE TRIGGER kb_articles_open_office BEFORE INSERT ON kb_articles
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER kb_votes_open_office BEFORE INSERT ON kb_votes
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
CREATE TRIGGER service_request_articles_open_office BEFORE INSERT ON service_request_articles
    FOR EACH ROW EXECUTE FUNCTION require_open_office();
