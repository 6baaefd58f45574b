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
    IF queued > 0 THEN
        PERFORM pg_notify('radbill_outbox', 'event');
    END IF;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER radbill_events_derive
    AFTER INSERT ON events REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION radbill_events_derive();
