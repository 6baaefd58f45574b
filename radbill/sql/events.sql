-- The event stream (radbill/events.py): append-only, checked against the catalogue, and the
-- one place side effects come from.

-- History is never rewritten: an UPDATE or DELETE of an event is refused whoever sends it.
-- (TRUNCATE, a wholesale wipe by the database owner, is left to the owner.)
CREATE OR REPLACE FUNCTION radbill_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    RAISE EXCEPTION 'events are append-only: % refused', TG_OP
        USING ERRCODE = 'insufficient_privilege';
END
$fn$;

CREATE OR REPLACE TRIGGER radbill_events_append_only
    BEFORE UPDATE OR DELETE ON events
    FOR EACH ROW EXECUTE FUNCTION radbill_events_append_only();

-- Once per statement, over all the rows it appended (a billing run appends thousands in one):
-- every row must name a catalogued type and carry its fields, and each route of that type
-- whose `match` the payload contains (and `exclude` does not) becomes one outbox row.
CREATE OR REPLACE FUNCTION radbill_events_derive() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    bad record;
    queued int;
    hooked int;
BEGIN
    SELECT n.name, n.data INTO bad
      FROM new_rows n LEFT JOIN event_types t ON t.name = n.name
     WHERE t.name IS NULL OR NOT (n.data ?& t.fields)
     LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'event % does not match the catalogue (radbill/events.py): %',
            bad.name, bad.data USING ERRCODE = 'check_violation';
    END IF;
    -- the routes are unpacked once per statement (a few dozen), not once per event
    WITH routes AS (
        SELECT t.name, CAST(r.value->>'consumer' AS outbox_kind) AS kind,
               r.value->'match' AS must, r.value->'exclude' AS mustnt
          FROM event_types t CROSS JOIN LATERAL jsonb_array_elements(t.routes) r
    )
    INSERT INTO outbox (kind, customer_id, event_id, payload)
    SELECT r.kind, n.customer_id, n.id, n.data || jsonb_build_object('event', n.name)
      FROM new_rows n JOIN routes r ON r.name = n.name
     WHERE (r.must IS NULL OR n.data @> r.must)
       AND (r.mustnt IS NULL OR NOT n.data @> r.mustnt);
    GET DIAGNOSTICS queued = ROW_COUNT;
    -- webhooks (integrations/webhooks.py): one delivery per new event and active webhook that
    -- subscribes to its type (a name, `prefix.*` or `*`) and whose operator's subtree holds
    -- the event's operator (the customer's when the event names none; neither: the ISP's own
    -- webhooks only). The envelope is made here, once: every attempt sends these bytes.
    -- Without an active webhook this is one probe of a tiny table.
    IF EXISTS (SELECT 1 FROM webhooks WHERE active) THEN
        INSERT INTO webhook_deliveries (webhook_id, event_id, event, body)
        SELECT w.id, n.id, n.name, CAST(jsonb_build_object(
                   'id', 'evt_' || n.id || '_' || w.id,
                   'event', n.name,
                   'created_at', to_char(n.at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
                   'data', n.data) AS text)
          FROM new_rows n
          LEFT JOIN operators eo ON eo.id = COALESCE(
                n.operator_id, (SELECT c.operator_id FROM customers c WHERE c.id = n.customer_id))
          JOIN webhooks w ON w.active
          JOIN operators wo ON wo.id = w.operator_id
         WHERE CASE WHEN eo.id IS NULL THEN wo.parent_id IS NULL
                    ELSE starts_with(eo.path, wo.path) END
           AND EXISTS (SELECT 1 FROM unnest(w.events) p
                        WHERE p = '*' OR p = n.name
                           OR (p LIKE '%.*' AND starts_with(n.name, left(p, -1))));
        GET DIAGNOSTICS hooked = ROW_COUNT;
        queued := queued + hooked;
    END IF;
    IF queued > 0 THEN
        PERFORM pg_notify('radbill_outbox', 'event');
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER radbill_events_derive
    AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION radbill_events_derive();
