-- Change notices for FreeRADIUS' in-process state (issue 3; HACKING.md "How the AAA hot path works").
--
-- Authorize answers from state each FreeRADIUS process keeps in memory (FREERADIUS-NOTES.md), so
-- every table that state is built from announces its changes on the `radbill_radius` channel.
-- The triggers are statement-level with transition tables: one notice per statement (keys packed
-- into as few payloads as fit), and a single "reload" for a mass change or a TRUNCATE.
--
-- Applied by `radbill db upgrade` after the migrations, every time: keep it re-appliable
-- (CREATE OR REPLACE). `radbill db check` compares the database with this file.

CREATE OR REPLACE FUNCTION radbill_notify_change() RETURNS trigger LANGUAGE plpgsql AS $fn$
DECLARE
    keycol text := nullif(TG_ARGV[0], '');
    ignored text[] := TG_ARGV[1:];
    keys text[];
    chunk text[] := '{}';
    size int := 0;
    k text;
    changed boolean;
BEGIN
    IF current_setting('radbill.quiet', true) = 'on' THEN
        RETURN NULL;  -- the module's own bulk last-seen update: nothing authorize reads changed
    END IF;
    IF TG_OP = 'TRUNCATE' OR keycol IS NULL THEN
        PERFORM pg_notify('radbill_radius', json_build_object('t', TG_TABLE_NAME,
                                                              'reload', true)::text);
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM new_rows', keycol) INTO keys;
    ELSIF TG_OP = 'DELETE' THEN
        EXECUTE format('SELECT array_agg(DISTINCT %I::text) FROM old_rows', keycol) INTO keys;
    ELSIF (SELECT count(*) FROM new_rows) > 1000 THEN
        -- a bulk update (a suspension run) is a reload anyway: find one real change, not the
        -- keys of every row (which took 3 s of a 100,000-customer run). A set difference of
        -- the rows (each holds its id) hashes both sides once: a join of the transition
        -- tables, which have no statistics, was planned as a nested loop, and an update that
        -- changed nothing compared every pair (8 s for 5,000 rows, hours for 100,000).
        EXECUTE $q$
            SELECT EXISTS (SELECT to_jsonb(n) - $1 FROM new_rows n
                           EXCEPT SELECT to_jsonb(o) - $1 FROM old_rows o)$q$
            USING ignored INTO changed;
        IF changed THEN
            PERFORM pg_notify('radbill_radius', json_build_object('t', TG_TABLE_NAME,
                                                                  'reload', true)::text);
        END IF;
        RETURN NULL;
    ELSE
        -- an update announces the old and the new key (a renamed user) unless only ignored
        -- columns changed (the changed rows by set difference, as above; only they are
        -- joined back to their old row)
        EXECUTE format($q$
            WITH changed AS (SELECT to_jsonb(n) - $1 AS j FROM new_rows n
                             EXCEPT SELECT to_jsonb(o) - $1 FROM old_rows o)
            SELECT array_agg(DISTINCT v.k) FROM (
                SELECT c.j ->> %1$L AS nk, o.%1$I::text AS ok
                FROM changed c LEFT JOIN old_rows o ON o.id::text = c.j ->> 'id'
            ) c, LATERAL (VALUES (c.nk), (c.ok)) v(k) WHERE v.k IS NOT NULL$q$, keycol)
            USING ignored INTO keys;
    END IF;
    IF keys IS NULL THEN
        RETURN NULL;
    END IF;
    IF cardinality(keys) > 1000 THEN
        PERFORM pg_notify('radbill_radius', json_build_object('t', TG_TABLE_NAME,
                                                              'reload', true)::text);
        RETURN NULL;
    END IF;
    FOREACH k IN ARRAY keys LOOP
        IF size + length(k) > 6000 THEN
            PERFORM pg_notify('radbill_radius',
                              json_build_object('t', TG_TABLE_NAME, 'k', chunk)::text);
            chunk := '{}';
            size := 0;
        END IF;
        chunk := chunk || k;
        size := size + length(k) + 4;
    END LOOP;
    PERFORM pg_notify('radbill_radius', json_build_object('t', TG_TABLE_NAME, 'k', chunk)::text);
    RETURN NULL;
END
$fn$;

-- The watched tables: the key column sent in the notice ('' to have the table reloaded whole),
-- then the columns whose change alone is not worth a notice. A trigger per event: INSERT,
-- DELETE, UPDATE (with transition tables) and TRUNCATE.
DO $do$
DECLARE
    w record;
    args text;
BEGIN
    FOR w IN SELECT * FROM (VALUES
            ('customers',     ARRAY['id', 'updated_at']),
            ('radreply',      ARRAY['username']),
            ('radusergroup',  ARRAY['username']),
            ('packages',      ARRAY['']),
            ('ip_pools',      ARRAY['']),
            ('nas',           ARRAY['']),
            ('nas_settings',  ARRAY['']),
            ('operators',     ARRAY['']),
            ('radgroupreply', ARRAY[''])) AS t(tbl, targs)
    LOOP
        SELECT string_agg(quote_literal(a), ', ') INTO args FROM unnest(w.targs) AS a;
        EXECUTE format('CREATE OR REPLACE TRIGGER radbill_notify_insert AFTER INSERT ON %I '
                       'REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION radbill_notify_change(%s)', w.tbl, args);
        EXECUTE format('CREATE OR REPLACE TRIGGER radbill_notify_delete AFTER DELETE ON %I '
                       'REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION radbill_notify_change(%s)', w.tbl, args);
        EXECUTE format('CREATE OR REPLACE TRIGGER radbill_notify_update AFTER UPDATE ON %I '
                       'REFERENCING NEW TABLE AS new_rows OLD TABLE AS old_rows FOR EACH STATEMENT '
                       'EXECUTE FUNCTION radbill_notify_change(%s)', w.tbl, args);
        EXECUTE format('CREATE OR REPLACE TRIGGER radbill_notify_truncate AFTER TRUNCATE ON %I '
                       'FOR EACH STATEMENT EXECUTE FUNCTION radbill_notify_change(%s)',
                       w.tbl, args);
    END LOOP;
END
$do$;

-- open sessions are fed by accounting itself; only a wholesale wipe needs a reload
CREATE OR REPLACE TRIGGER radbill_notify_truncate AFTER TRUNCATE ON radacct
    FOR EACH STATEMENT EXECUTE FUNCTION radbill_notify_change('');
