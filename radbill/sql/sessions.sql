-- Staff sessions die when what they were opened on changes (issue 10). A session, browser
-- cookie or func API `auth=` id alike, is a row of api_sessions that every request looks up, so
-- deleting the rows here ends them in every gunicorn worker at once.

-- A login's sessions (and its unused one-time key) end when its password, role or operator
-- changes or it is disabled; the login must sign in again with what it is now.
CREATE OR REPLACE FUNCTION radbill_staff_sessions_revoke() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM api_sessions WHERE user_id = NEW.id;
    DELETE FROM login_keys WHERE user_id = NEW.id;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER radbill_staff_sessions_revoke
    AFTER UPDATE OF password_hash, role, operator_id, disabled ON staff_users
    FOR EACH ROW
    WHEN (OLD.password_hash IS DISTINCT FROM NEW.password_hash
          OR OLD.role IS DISTINCT FROM NEW.role
          OR OLD.operator_id IS DISTINCT FROM NEW.operator_id
          OR (NEW.disabled AND NOT OLD.disabled))
    EXECUTE FUNCTION radbill_staff_sessions_revoke();

-- An operator leaving 'active' (suspended) ends the sessions of every login at it and below it
-- (the system administrator excepted, as at login: admin/security.operator_suspended).
CREATE OR REPLACE FUNCTION radbill_operator_sessions_revoke() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    DELETE FROM api_sessions s
     USING staff_users u, operators o
     WHERE s.user_id = u.id AND u.operator_id = o.id AND u.role <> 'admin'
       AND (o.id = NEW.id OR (NEW.path <> '' AND o.path LIKE NEW.path || '%'));
    DELETE FROM login_keys k
     USING staff_users u, operators o
     WHERE k.user_id = u.id AND u.operator_id = o.id AND u.role <> 'admin'
       AND (o.id = NEW.id OR (NEW.path <> '' AND o.path LIKE NEW.path || '%'));
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER radbill_operator_sessions_revoke
    AFTER UPDATE OF status ON operators
    FOR EACH ROW
    WHEN (NEW.status IS DISTINCT FROM OLD.status AND NEW.status <> 'active')
    EXECUTE FUNCTION radbill_operator_sessions_revoke();
