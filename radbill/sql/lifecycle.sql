-- The one way a customer's status changes (radbill/lifecycle.py holds the table of allowed
-- changes; `radbill db upgrade` copies it into customer_transitions).
--
-- For every customer in p_ids whose current state ('deleted' when deleted_at is set, else its
-- status) may go to p_to for p_reason, in one statement: the row changes, and an event (which
-- is also the suspension log's row) and an audit row (before and after) are appended. Customers whose state does
-- not allow it are left alone: jobs pass candidates, and the Python form checks first so it
-- can name the status it refuses. Returns the customers changed and the state they left.
-- p_to 'restored' means: no longer deleted, with the status it had.
CREATE OR REPLACE FUNCTION radbill_transition(
        p_ids int[], p_to text, p_reason text, p_actor text, p_func text,
        p_user_id int DEFAULT NULL, p_ip text DEFAULT NULL, p_request text DEFAULT NULL,
        p_note text DEFAULT NULL)
    RETURNS TABLE (customer_id int, from_state text) LANGUAGE plpgsql AS $fn$
#variable_conflict use_column
BEGIN
    RETURN QUERY
    WITH cur AS (
        -- a join, not `id = ANY(p_ids)`: a job passes 100,000 ids, and ANY tests each row
        -- against the whole array. No row lock here: the UPDATE below re-checks the state on
        -- the row version it locks, so a change committed meanwhile makes it skip the row.
        SELECT c.id, c.username, c.operator_id, c.status_reason,
               CASE WHEN c.deleted_at IS NOT NULL THEN 'deleted' ELSE c.status::text END AS state
          FROM customers c
          JOIN (SELECT DISTINCT unnest(p_ids) AS id) ids ON ids.id = c.id
    ), allowed AS (
        SELECT cur.*, t.event
          FROM cur JOIN customer_transitions t
            ON t.from_state = cur.state AND t.to_state = p_to AND t.reason = p_reason
    ), upd AS (
        UPDATE customers c SET
            status = CASE WHEN p_to IN ('deleted', 'restored') THEN c.status
                          ELSE CAST(p_to AS customer_status) END,
            status_reason = CASE WHEN p_to IN ('deleted', 'restored') THEN c.status_reason
                                 WHEN p_to = 'active' THEN NULL
                                 ELSE p_reason END,
            deleted_at = CASE WHEN p_to = 'deleted' THEN now()
                              WHEN p_to = 'restored' THEN NULL
                              ELSE c.deleted_at END,
            updated_at = now()
          FROM allowed a
         WHERE c.id = a.id
           AND (CASE WHEN c.deleted_at IS NOT NULL THEN 'deleted' ELSE c.status::text END) = a.state
        RETURNING c.id, c.username, c.operator_id, a.state AS old_state,
                  a.status_reason AS old_reason, a.event,
                  CASE WHEN c.deleted_at IS NOT NULL THEN 'deleted'
                       ELSE c.status::text END AS new_state,
                  c.status_reason AS new_reason
    ), ev AS (
        -- the event is the status log too (the `suspension` function lists these)
        INSERT INTO events (name, customer_id, operator_id, actor, func, data)
        SELECT u.event, u.id, u.operator_id, p_actor, p_func,
               jsonb_build_object('username', u.username, 'from', u.old_state, 'to', u.new_state,
                                  'reason', p_reason)
               || CASE WHEN p_note IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('note', p_note) END
          FROM upd u
    ), audited AS (
        INSERT INTO audit_log (actor, actor_user_id, operator_id, func, object_type, object_id,
                               object_name, before, after, request, ip)
        SELECT p_actor, p_user_id, u.operator_id, p_func, 'customer', u.id, u.username,
               jsonb_build_object('status', u.old_state, 'status_reason', u.old_reason),
               jsonb_build_object('status', u.new_state, 'status_reason', u.new_reason,
                                  'reason', p_reason)
               || CASE WHEN p_note IS NULL THEN '{}'::jsonb
                       ELSE jsonb_build_object('note', p_note) END,
               p_request, p_ip
          FROM upd u
    )
    SELECT u.id, u.old_state FROM upd u;
END
$fn$;
