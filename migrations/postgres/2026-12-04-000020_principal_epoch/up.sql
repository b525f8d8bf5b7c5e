-- What a signed-in caller may do is cached in each server process. This counter
-- says when a cached caller may be out of date: every change to what a token
-- resolves to — a user's activity, office or name, a role assignment, a
-- department's office, an office's region or status — bumps it in the same
-- transaction, whichever code path writes. A process drops its cached callers
-- when it sees the counter move: at once after its own write, and within its
-- polling interval for another process's.
CREATE TABLE principal_epoch (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    generation BIGINT NOT NULL
);
INSERT INTO principal_epoch (id, generation) VALUES (1, 1);

CREATE FUNCTION bump_principal_epoch() RETURNS trigger AS $$
BEGIN
    UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1;
    RETURN NULL;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER users_principal_epoch
    AFTER INSERT OR DELETE OR UPDATE OF active, office_id, username, display_name ON users
    FOR EACH STATEMENT EXECUTE FUNCTION bump_principal_epoch();
CREATE TRIGGER role_assignments_principal_epoch
    AFTER INSERT OR UPDATE OR DELETE ON role_assignments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_principal_epoch();
CREATE TRIGGER departments_principal_epoch
    AFTER INSERT OR DELETE OR UPDATE OF office_id ON departments
    FOR EACH STATEMENT EXECUTE FUNCTION bump_principal_epoch();
CREATE TRIGGER offices_principal_epoch
    AFTER INSERT OR DELETE OR UPDATE OF region_id, status ON offices
    FOR EACH STATEMENT EXECUTE FUNCTION bump_principal_epoch();
