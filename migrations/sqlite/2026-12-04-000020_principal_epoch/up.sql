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

CREATE TRIGGER users_principal_epoch_insert AFTER INSERT ON users
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER users_principal_epoch_delete AFTER DELETE ON users
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER users_principal_epoch_update AFTER UPDATE OF active, office_id, username, display_name ON users
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignments_principal_epoch_insert AFTER INSERT ON role_assignments
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignments_principal_epoch_delete AFTER DELETE ON role_assignments
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER role_assignments_principal_epoch_update AFTER UPDATE ON role_assignments
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER departments_principal_epoch_insert AFTER INSERT ON departments
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER departments_principal_epoch_delete AFTER DELETE ON departments
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER departments_principal_epoch_update AFTER UPDATE OF office_id ON departments
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER offices_principal_epoch_insert AFTER INSERT ON offices
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER offices_principal_epoch_delete AFTER DELETE ON offices
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
CREATE TRIGGER offices_principal_epoch_update AFTER UPDATE OF region_id, status ON offices
    BEGIN UPDATE principal_epoch SET generation = generation + 1 WHERE id = 1; END;
