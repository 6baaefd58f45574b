-- radacct by month (issue 16; migration 0016; HACKING.md "radacct for years").
--
-- radacct is partitioned by RANGE (acctstarttime), one partition per UTC calendar month named
-- radacct_YYYY_MM, and radacct_default for anything no month covers. The job
-- `radacct_partitions` (radbill/archive.py) makes the coming months ahead of time through
-- radbill_radacct_partition(); radbill/archive.py exports and drops old ones.
--
-- Applied by `radbill db upgrade` after the migrations, every time: keep it re-appliable.

-- The partition for the month holding p_month; NULL when it is there already. Rows of that
-- month that landed in radacct_default meanwhile move into it. The table is made on its own
-- and then attached, which takes SHARE UPDATE EXCLUSIVE on radacct (accounting goes on) where
-- CREATE TABLE ... PARTITION OF would take ACCESS EXCLUSIVE. Fillfactor 60: room on the page
-- for an Interim-Update's new version of the row, a HOT update (migration 0034 has the figures).
CREATE OR REPLACE FUNCTION radbill_radacct_partition(p_month date) RETURNS text
LANGUAGE plpgsql AS $fn$
DECLARE
    first date := date_trunc('month', p_month)::date;
    name text := 'radacct_' || to_char(p_month, 'YYYY_MM');
    lo timestamptz := make_timestamptz(extract(year FROM first)::int,
                                       extract(month FROM first)::int, 1, 0, 0, 0, 'UTC');
    hi timestamptz := make_timestamptz(extract(year FROM first + interval '1 month')::int,
                                       extract(month FROM first + interval '1 month')::int,
                                       1, 0, 0, 0, 'UTC');
BEGIN
    IF to_regclass(name) IS NOT NULL THEN
        RETURN NULL;
    END IF;
    EXECUTE format('CREATE TABLE %I (LIKE radacct INCLUDING DEFAULTS INCLUDING CONSTRAINTS)'
                   ' WITH (fillfactor = 60)', name);
    IF to_regclass('radacct_default') IS NOT NULL THEN
        EXECUTE format('WITH moved AS (DELETE FROM radacct_default WHERE acctstarttime >= %L'
                       ' AND acctstarttime < %L RETURNING *) INSERT INTO %I SELECT * FROM moved',
                       lo, hi, name);
    END IF;
    EXECUTE format('ALTER TABLE radacct ATTACH PARTITION %I FOR VALUES FROM (%L) TO (%L)',
                   name, lo, hi);
    RETURN name;
END
$fn$;

-- TRUNCATE radacct empties the keys too (a key without its session would make the next Start
-- of that unique id look like a repeat)
CREATE OR REPLACE FUNCTION radbill_radacct_truncated() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
    BEGIN
        TRUNCATE radacct_keys;
    EXCEPTION WHEN object_in_use THEN
        -- the same TRUNCATE names radacct_keys too (and has emptied it)
        DELETE FROM radacct_keys;
    END;
    RETURN NULL;
END
$fn$;

CREATE OR REPLACE TRIGGER radbill_radacct_truncate_keys AFTER TRUNCATE ON radacct
    FOR EACH STATEMENT EXECUTE FUNCTION radbill_radacct_truncated();
