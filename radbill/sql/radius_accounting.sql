-- Accounting (issue 3; HACKING.md "How the AAA hot path works").
--
-- rlm_sql appends each Accounting-Request to `radius_acct_inbox` in one committed INSERT, made
-- concurrently, and the Accounting-Response leaves only after that commit (RFC 2866): the record
-- is durable in PostgreSQL before the NAS hears back. `radbill_drain()`, called every 0.2 s by
-- a thread of each FreeRADIUS process (one at a time), applies the inbox's rows in order, each
-- through `radbill_acct(...)`, which writes radacct and appends one row to radius_acct_log, then
-- turns those rows into usage counters, fair-usage crossings (through the lifecycle: status fup
-- and the customer.fup_reached event) and session notices for simultaneous use; all in one
-- transaction. (One radbill_acct() call per record inside rlm_sql's transaction cost 0.67-0.89x
-- stock's throughput; the inbox 1.13x: radbill bench radius, HACKING "How the AAA hot path works".)
--
-- Applied by `radbill db upgrade` after the migrations, every time: keep it re-appliable
-- (CREATE OR REPLACE). `radbill db check` compares the database with this file.

-- retired: the CoA's rate is now the worker's to work out (provisioning/worker.py)
DROP FUNCTION IF EXISTS radbill_rate(bigint);

-- radius_acct_log -> usage counters, fup crossings (through the lifecycle), session notices.
-- Without JIT (here and in radbill_acct_apply): the inbox is a queue whose statistics often
-- count tens of thousands of rows it no longer holds, which put the batch's DELETE above
-- jit_above_cost: 12 ms of compiling for a 1,200-record batch (10 us a record), every 0.2 s.
CREATE OR REPLACE FUNCTION radbill_drain() RETURNS int LANGUAGE plpgsql
SET jit = off AS $fn$
DECLARE
    n int;
    crossed int[];
    limited int[];
    chunks jsonb[];
    i int;
    events jsonb;
BEGIN
    -- one drainer at a time, whichever FreeRADIUS process comes first
    IF NOT pg_try_advisory_xact_lock(hashtext('radbill_drain')) THEN
        RETURN 0;
    END IF;
    -- the records acknowledged since the last drain, into radacct and the log read below
    PERFORM radbill_acct_apply();
    -- One statement: the log's rows leave it, every customer's usage in them goes into their
    -- counters, and back come those who crossed their cap (and were active: they are moved to
    -- fup below), those on a package with a time or data limit, and the session notices in
    -- chunks. (The rows used to travel as one jsonb array unpacked twice: ~85 µs of
    -- PostgreSQL time a record in `radbill bench radius`.)
    WITH moved AS (
        DELETE FROM radius_acct_log RETURNING *
    ), d AS (
        SELECT lower(username) AS u, sum(d_in) AS i, sum(d_out) AS o, sum(d_time) AS t
          FROM moved
         WHERE d_in > 0 OR d_out > 0 OR d_time > 0
         GROUP BY 1
    ), up AS (
        INSERT INTO usage_counters AS uc (customer_id, cycle_start, bytes_in, bytes_out,
                                          session_time)
        SELECT cu.id, cu.cycle_start, d.i, d.o, d.t
          FROM d JOIN customers cu ON lower(cu.username) = d.u
        ON CONFLICT (customer_id, cycle_start) DO UPDATE
           SET bytes_in = uc.bytes_in + excluded.bytes_in,
               bytes_out = uc.bytes_out + excluded.bytes_out,
               session_time = uc.session_time + excluded.session_time, updated_at = now()
        RETURNING uc.customer_id, uc.bytes_in + uc.bytes_out AS total
    ), flags AS (
        SELECT array_agg(cu.id ORDER BY cu.id)
                   FILTER (WHERE cu.status = 'active' AND pk.data_cap IS NOT NULL
                             AND up.total >= pk.data_cap) AS crossed,
               array_agg(cu.id ORDER BY cu.id)
                   FILTER (WHERE pk.time_limit IS NOT NULL OR pk.data_limit IS NOT NULL)
                   AS limited
          FROM up JOIN customers cu ON cu.id = up.customer_id
          JOIN packages pk ON pk.id = cu.package_id
    ), notes AS (
        -- which sessions opened and closed (simultaneous use), 40 a notice to stay under
        -- NOTIFY's 8000 bytes
        SELECT chunk, jsonb_agg(jsonb_build_array(kind, left(uniqueid, 64),
                                                  left(lower(username), 64), left(nasip, 45))
                                ORDER BY id) AS e
          FROM (SELECT m.*, (row_number() OVER (ORDER BY m.id) - 1) / 40 AS chunk
                  FROM moved m WHERE m.kind IN ('open', 'close', 'nas')) x
         GROUP BY chunk
    )
    SELECT (SELECT count(*) FROM moved), flags.crossed, flags.limited,
           (SELECT array_agg(e ORDER BY chunk) FROM notes)
      INTO n, crossed, limited, chunks
      FROM flags;
    IF n = 0 THEN
        RETURN 0;
    END IF;
    -- a package with a time or data limit (the hotspot's): authorize answers from what the
    -- cycle has left, so every FreeRADIUS process re-reads these customers' counters,
    -- 500 ids a notice to stay under NOTIFY's 8000 bytes
    FOR i IN 0 .. coalesce(cardinality(limited), 0) - 1 BY 500 LOOP
        PERFORM pg_notify('radbill_radius', json_build_object(
            't', 'usage', 'k', limited[i + 1 : i + 500])::text);
    END LOOP;
    -- active -> fup through the lifecycle (radbill/sql/lifecycle.sql): the status, the audit
    -- and status-log rows and the customer.fup_reached event, whose consumers queue one CoA
    -- (the throttled rate) and the notice. Only the drain that moves a customer out of
    -- active emits it, so a cycle has one crossing whatever the packets do.
    IF crossed IS NOT NULL THEN
        PERFORM radbill_transition(crossed, 'fup', 'data_cap', 'radius', 'radius.accounting');
    END IF;
    -- tell every FreeRADIUS process which sessions opened and closed
    FOREACH events IN ARRAY coalesce(chunks, '{}') LOOP
        PERFORM pg_notify('radbill_radius', jsonb_build_object('t', 'sessions', 'e', events)::text);
    END LOOP;
    RETURN n;
END
$fn$;

-- A record refused because its NAS may not account for it (radbill_acct below): the NAS still
-- gets its Accounting-Response (else it retransmits forever), radacct and usage do not change,
-- and the refusal is logged where the NOC reads RADIUS answers (radpostauth, the authlog list,
-- visible to the customer's operator) with reply 'Accounting-Refused' and the reason.
CREATE OR REPLACE FUNCTION radbill_acct_refuse(p_status text, p_username text, p_nasip text,
        p_called text, p_calling text, p_class text, p_why text) RETURNS int
LANGUAGE plpgsql AS $fn$
BEGIN
    INSERT INTO radpostauth (username, reply, calledstationid, callingstationid, class, reason)
    VALUES (coalesce(p_username, ''), 'Accounting-Refused', nullif(p_called, ''),
            nullif(p_calling, ''), nullif(p_class, ''),
            format('%s from NAS %s not recorded: %s', p_status, p_nasip, p_why));
    RETURN 0;
END
$fn$;

-- one accounting record, as rlm_sql's accounting queries call it (freeradius-config/).
-- p_nasip is the address of the client that sent the packet (Packet-Src-IP-Address: the `nas`
-- row FreeRADIUS matched, whose secret verified the packet), never the NAS-IP-Address the packet
-- claims: a NAS is what it is, not what it says (issue 10). radacct.nasipaddress is therefore a
-- `nas`.nasname, which is also what CoA/Disconnect and router.kick look up.
DROP FUNCTION IF EXISTS radbill_acct(text, text, text, text, text, text, text, text, text, text,
    text, text, text, text, text, text, text, text, text, text, text, text, text, text, text,
    text, text);
CREATE OR REPLACE FUNCTION radbill_acct(
        p_status text, p_sessionid text, p_uniqueid text, p_username text, p_realm text,
        p_nasip text, p_nasportid text, p_nasporttype text, p_event text, p_sesstime text,
        p_authentic text, p_connectinfo text, p_in text, p_in_giga text, p_out text,
        p_out_giga text, p_called text, p_calling text, p_cause text, p_servicetype text,
        p_framedproto text, p_framedip text, p_framedip6 text, p_framedprefix6 text,
        p_framedifid text, p_delegated6 text, p_class text,
        p_at timestamptz DEFAULT NULL) RETURNS int LANGUAGE plpgsql AS $fn$
DECLARE
    t timestamptz := to_timestamp(p_event::bigint);
    -- when the record arrived (the inbox's `at`): a record drained late is judged by it
    arrived timestamptz := coalesce(p_at, now());
    nas_path text;
    stime bigint := nullif(p_sesstime, '')::bigint;
    tin bigint := (coalesce(nullif(p_in_giga, ''), '0')::bigint << 32)
                  + coalesce(nullif(p_in, ''), '0')::bigint;
    tout bigint := (coalesce(nullif(p_out_giga, ''), '0')::bigint << 32)
                   + coalesce(nullif(p_out, ''), '0')::bigint;
    is_stop boolean := p_status = 'Stop';
    was_open boolean;
    kind text;
    d_in bigint;
    d_out bigint;
    d_time bigint;
    started timestamptz;
    owner inet;
    rid bigint;
    pi bigint;
    po bigint;
    ps bigint;
    pstop timestamptz;
    pupd timestamptz;
    pnas inet;
BEGIN
    -- Event-Timestamp is the NAS's clock. One that is far off (a router without NTP sends 1970;
    -- 0xFFFFFFFF made a session start in 2106 that no Accounting-On could close, since that
    -- closes only sessions started before it) is replaced by our clock: a record cannot come
    -- from the future (5 minutes allow for skew), and a day back still keeps the real time of
    -- records a NAS buffered through an outage. Whole seconds, as Event-Timestamp and the
    -- request time (%l) are, so a later record of the same second is not "before" it.
    IF t > arrived + interval '5 minutes' OR t < arrived - interval '1 day' THEN
        t := date_trunc('second', arrived);
    END IF;
    IF p_status IN ('Accounting-On', 'Accounting-Off') THEN
        -- the NAS restarted: nothing it had open is open any more (stock semantics)
        UPDATE radacct SET acctstoptime = t, acctupdatetime = t,
               acctsessiontime = extract(epoch FROM t - acctstarttime)::bigint,
               acctterminatecause = coalesce(nullif(p_cause, ''), 'NAS-Reboot')
         WHERE acctstoptime IS NULL AND nasipaddress = p_nasip::inet AND acctstarttime <= t;
        INSERT INTO radius_acct_log (kind, nasip) VALUES ('nas', p_nasip);
        RETURN 1;
    END IF;
    IF p_status NOT IN ('Start', 'Interim-Update', 'Stop') THEN
        RETURN 1;
    END IF;
    -- the rule authorize applies (radius_module/policy.py nas_allowed): a NAS owned by an
    -- operator serves only customers in that operator's subtree; a global NAS serves everyone.
    -- One indexed lookup per record (nas_nasname), a second only for an operator's NAS.
    SELECT o.path INTO nas_path
      FROM nas n JOIN nas_settings ns ON ns.nas_id = n.id JOIN operators o ON o.id = ns.operator_id
     WHERE n.nasname = p_nasip
     LIMIT 1;
    IF nas_path IS NOT NULL AND NOT EXISTS (
            SELECT 1 FROM customers c JOIN operators o ON o.id = c.operator_id
             WHERE lower(c.username) = lower(p_username) AND starts_with(o.path, nas_path)) THEN
        RETURN radbill_acct_refuse(p_status, p_username, p_nasip, p_called, p_calling, p_class,
                                   'this NAS does not serve the customer''s operator');
    END IF;
    -- radacct is partitioned by month of acctstarttime (radacct_partitions.sql): the session's
    -- key names its month, so each statement below reads one partition. The common case: the
    -- session exists. Its totals before this packet are read first; instead of a row lock (a
    -- WAL record of its own) the update then requires those totals unchanged, so a concurrent
    -- twin of this packet makes it find nothing and go round again below. Counters only grow:
    -- a retransmit or a late Interim adds nothing and lowers nothing. (One statement joining
    -- radacct to itself for the old totals cost twice these two on the partitioned table.)
    -- (Two statements, not a join: with the month as a parameter a generic plan prunes
    -- radacct to that month when it starts; joined to the key, every month's index scan was
    -- set up at every call, a quarter of the drain's time with 22 months.)
    IF p_status <> 'Start' THEN
        SELECT k.acctstarttime INTO started FROM radacct_keys k WHERE k.acctuniqueid = p_uniqueid;
        IF FOUND THEN
            SELECT r.radacctid, r.acctinputoctets, r.acctoutputoctets, r.acctsessiontime,
                   r.acctstoptime, r.nasipaddress
              INTO rid, pi, po, ps, pstop, pnas
              FROM radacct r
             WHERE r.acctuniqueid = p_uniqueid AND r.acctstarttime = started;
        END IF;
    END IF;
    IF rid IS NOT NULL AND pnas = p_nasip::inet THEN
        UPDATE radacct r SET
            acctinputoctets = greatest(coalesce(pi, 0), tin),
            acctoutputoctets = greatest(coalesce(po, 0), tout),
            acctsessiontime = greatest(coalesce(ps, 0), coalesce(stime, 0)),
            acctupdatetime = greatest(r.acctupdatetime, t),
            acctinterval = CASE WHEN NOT is_stop AND pstop IS NULL
                THEN extract(epoch FROM t - coalesce(r.acctupdatetime, r.acctstarttime))::bigint
                ELSE r.acctinterval END,
            acctstoptime = CASE WHEN is_stop THEN coalesce(pstop, t) ELSE pstop END,
            acctterminatecause = CASE WHEN is_stop
                THEN coalesce(nullif(p_cause, ''), r.acctterminatecause)
                ELSE r.acctterminatecause END,
            connectinfo_stop = CASE WHEN is_stop THEN p_connectinfo ELSE r.connectinfo_stop END,
            framedipaddress = coalesce(nullif(p_framedip, '')::inet, r.framedipaddress)
         WHERE r.radacctid = rid AND r.acctstarttime = started
           AND r.acctinputoctets IS NOT DISTINCT FROM pi
           AND r.acctoutputoctets IS NOT DISTINCT FROM po
           AND r.acctsessiontime IS NOT DISTINCT FROM ps
           AND r.acctstoptime IS NOT DISTINCT FROM pstop;
        IF FOUND THEN
            d_in := greatest(tin - coalesce(pi, 0), 0);
            d_out := greatest(tout - coalesce(po, 0), 0);
            d_time := greatest(coalesce(stime, 0) - coalesce(ps, 0), 0);
            was_open := pstop IS NULL;
            kind := CASE WHEN is_stop AND was_open THEN 'close'
                         WHEN d_in > 0 OR d_out > 0 OR d_time > 0 THEN 'use' END;
        END IF;
    END IF;
    IF d_in IS NULL THEN
        -- a Start, or the first record of a session whose Start was lost: all of it is new.
        -- The key comes first: acctuniqueid is unique in radacct_keys (a partitioned table
        -- can only be unique per month), and a twin of this packet waits here for ours.
        started := t - make_interval(secs => coalesce(stime, 0));
        INSERT INTO radacct_keys (acctuniqueid, acctstarttime) VALUES (p_uniqueid, started)
        ON CONFLICT (acctuniqueid) DO NOTHING;
        IF NOT FOUND THEN
            SELECT r.nasipaddress INTO owner
              FROM radacct_keys k JOIN radacct r ON r.acctuniqueid = k.acctuniqueid
                                                AND r.acctstarttime = k.acctstarttime
             WHERE k.acctuniqueid = p_uniqueid;
            IF FOUND THEN
                -- a session opened by another NAS (whose unique id this packet reproduces) is
                -- not this one's to update or close
                IF owner <> p_nasip::inet THEN
                    RETURN radbill_acct_refuse(p_status, p_username, p_nasip, p_called,
                        p_calling, p_class, 'the session belongs to another NAS');
                END IF;
                -- the session is there after all (a repeated Start, a twin packet that won the
                -- insert or changed the totals a moment ago): account this packet as an update
                IF p_status = 'Start' THEN
                    p_status := 'Interim-Update';
                END IF;
                RETURN radbill_acct(p_status, p_sessionid, p_uniqueid, p_username, p_realm,
                    p_nasip, p_nasportid, p_nasporttype, p_event, p_sesstime, p_authentic,
                    p_connectinfo, p_in, p_in_giga, p_out, p_out_giga, p_called, p_calling,
                    p_cause, p_servicetype, p_framedproto, p_framedip, p_framedip6,
                    p_framedprefix6, p_framedifid, p_delegated6, p_class, p_at);
            END IF;
            -- a key whose session is gone (deleted by hand, or archived): it names this one now
            UPDATE radacct_keys SET acctstarttime = started WHERE acctuniqueid = p_uniqueid;
        END IF;
        INSERT INTO radacct (acctsessionid, acctuniqueid, username, realm, nasipaddress, nasportid,
            nasporttype, acctstarttime, acctupdatetime, acctstoptime, acctsessiontime,
            acctauthentic, connectinfo_start, connectinfo_stop, acctinputoctets, acctoutputoctets,
            calledstationid, callingstationid, acctterminatecause, servicetype, framedprotocol,
            framedipaddress, framedipv6address, framedipv6prefix, framedinterfaceid,
            delegatedipv6prefix, class)
        VALUES (p_sessionid, p_uniqueid, p_username, nullif(p_realm, ''), p_nasip::inet,
            nullif(p_nasportid, ''), p_nasporttype, started, t, CASE WHEN is_stop THEN t END, coalesce(stime, 0), p_authentic,
            p_connectinfo, CASE WHEN is_stop THEN p_connectinfo END, tin, tout,
            p_called, p_calling, CASE WHEN is_stop THEN nullif(p_cause, '') END, p_servicetype,
            p_framedproto, nullif(p_framedip, '')::inet, nullif(p_framedip6, '')::inet,
            nullif(p_framedprefix6, '')::inet, nullif(p_framedifid, ''),
            nullif(p_delegated6, '')::inet, nullif(p_class, ''));
        d_in := tin; d_out := tout; d_time := coalesce(stime, 0);
        kind := CASE WHEN is_stop THEN 'close' ELSE 'open' END;
    END IF;
    -- what the drain needs, in this transaction: acknowledged usage is never lost
    IF kind IS NOT NULL THEN
        INSERT INTO radius_acct_log (kind, username, uniqueid, nasip, d_in, d_out, d_time)
        VALUES (kind, p_username, p_uniqueid, p_nasip, d_in, d_out, d_time);
    END IF;
    RETURN 1;
END
$fn$;

-- A value as rlm_sql wrote it, back to its bytes: rlm_sql writes each byte outside its safe
-- characters as "=" and two upper-case hex digits ("=" itself as =3D; UTF-8 stays as it is).
-- (STABLE, not STRICT, the slow path in a function of its own: so that radbill_acct_unique and
-- this one are inlined into the drain's statement. Not inlined, each call ran an executor of
-- its own: ~300 us a record instead of ~1.)
CREATE OR REPLACE FUNCTION radbill_sql_unescape_slow(t text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT coalesce(string_agg(CASE WHEN m[1] IS NOT NULL THEN decode(m[1], 'hex')
                                    ELSE convert_to(m[2], 'UTF8') END, ''::bytea ORDER BY n),
                    ''::bytea)
      FROM regexp_matches(t, '=([0-9A-F]{2})|([^=]+|=)', 'g') WITH ORDINALITY AS r(m, n)
$fn$;

CREATE OR REPLACE FUNCTION radbill_sql_unescaped(t text) RETURNS bytea
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT CASE WHEN strpos(t, '=') = 0 THEN convert_to(t, 'UTF8')
                ELSE radbill_sql_unescape_slow(t) END
$fn$;

-- Acct-Unique-Session-Id as FreeRADIUS' stock acct_unique policy (policy.d/accounting) makes it,
-- from a record rlm_sql wrote with the policy's inputs after its 27 fields (radiusd.conf): f[28]
-- the NAS address (NAS-IPv6-Address, else NAS-IP-Address), f[29] NAS-Identifier, f[30]
-- NAS-Port-Id, f[31] NAS-Port; f[27] is Class in hex ("0x..."). A Class of the bytes "ai:" and 32
-- hex digits names the session with those digits; otherwise the user, session, NAS address,
-- NAS-Identifier, NAS-Port-Id and NAS-Port do. The md5 is of the values' bytes as the NAS sent
-- them, so rlm_sql's escaping is undone first. (Done here, once per batch, instead of in
-- FreeRADIUS for every request: ~19 us of FreeRADIUS' CPU a record. tests/radius/
-- test_accounting.py checks the ids against the stock policy's formula.)
CREATE OR REPLACE FUNCTION radbill_acct_unique(f text[]) RETURNS text
LANGUAGE sql STABLE PARALLEL SAFE AS $fn$
    SELECT CASE
        WHEN lower(f[27]) ~ '^0x61693a((3[0-9])|(4[1-6])|(6[1-6])){32}'
        THEN md5(decode(substr(f[27], 9, 64), 'hex') || ','::bytea
                 || radbill_sql_unescaped(f[2]))
        ELSE md5(radbill_sql_unescaped(f[4]) || ','::bytea || radbill_sql_unescaped(f[2])
                 || ','::bytea || radbill_sql_unescaped(f[28]) || ','::bytea
                 || radbill_sql_unescaped(f[29]) || ','::bytea || radbill_sql_unescaped(f[30])
                 || ','::bytea || radbill_sql_unescaped(f[31]))
    END
$fn$;

-- one record of the inbox through radbill_acct(): `f` are its 27 arguments as rlm_sql wrote them
CREATE OR REPLACE FUNCTION radbill_acct_fields(f text[], p_at timestamptz) RETURNS int
LANGUAGE sql AS $fn$
    SELECT radbill_acct(f[1], f[2], f[3], f[4], f[5], f[6], f[7], f[8], f[9], f[10], f[11], f[12], f[13], f[14], f[15], f[16], f[17], f[18], f[19], f[20], f[21], f[22], f[23], f[24], f[25], f[26], f[27], p_at)
$fn$;

-- The inbox's records into radacct and radius_acct_log, oldest first, up to 10,000 a call (a
-- backlog after an outage drains over several calls). Called by radbill_drain() under its lock.
-- Starts, and Interim/Stop records, alone in the batch go through two set-based statements
-- (below; a Start ~60 -> ~25 us, an Interim ~50 -> ~30 us), the rest through radbill_acct one by
-- one.
-- A record radbill_acct() cannot take (it raises) must not hold the others back forever: the
-- batch is then applied again one record at a time, each in its own subtransaction, and the bad
-- one is refused as radbill_acct_refuse() refuses a record (radpostauth, reply
-- 'Accounting-Refused', the error as the reason). Ids commit out of order under concurrency; a
-- record applied after a later one is still right, radbill_acct takes records in any order.
-- (A type of its own rather than the table's row type: this file is applied to databases part
-- way along the migrations too, before the table exists.)
DO $$ BEGIN
    CREATE TYPE radbill_acct_record AS (id bigint, at timestamptz, fields text[]);
EXCEPTION WHEN duplicate_object THEN NULL;
END $$;

-- A batch's records with what both set-based statements below read: how many records of the
-- same session the batch holds (twins), whether their NAS restarted in it, whether the NAS may
-- account for the customer (radbill_acct's rule: a NAS owned by an operator serves only that
-- operator's subtree), and the fields radbill_acct computes first (the event time clamped
-- against the record's arrival, session time, octets with gigawords). An inlined SQL function:
-- each statement plans it as its own. (Dropped first: its columns grew `allowed`.)
DROP FUNCTION IF EXISTS radbill_acct_parsed(radbill_acct_record[]);
CREATE OR REPLACE FUNCTION radbill_acct_parsed(batch radbill_acct_record[])
RETURNS TABLE (id bigint, f text[], twins bigint, restarted boolean, allowed boolean,
               t timestamptz, stime bigint, tin bigint, tout bigint)
LANGUAGE sql STABLE AS $fn$
    SELECT b.id, b.f, b.twins, b.restarted,
           owner.path IS NULL OR EXISTS (
               SELECT 1 FROM customers c JOIN operators o ON o.id = c.operator_id
                WHERE lower(c.username) = lower(b.f[4]) AND starts_with(o.path, owner.path)),
           CASE WHEN to_timestamp(b.f[9]::bigint) > b.at + interval '5 minutes'
                  OR to_timestamp(b.f[9]::bigint) < b.at - interval '1 day'
                THEN date_trunc('second', b.at) ELSE to_timestamp(b.f[9]::bigint) END,
           nullif(b.f[10], '')::bigint,
           (coalesce(nullif(b.f[14], ''), '0')::bigint << 32)
               + coalesce(nullif(b.f[13], ''), '0')::bigint,
           (coalesce(nullif(b.f[16], ''), '0')::bigint << 32)
               + coalesce(nullif(b.f[15], ''), '0')::bigint
      FROM (SELECT x.id, x.at, x.fields AS f,
                   count(*) OVER (PARTITION BY x.fields[3]) AS twins,
                   bool_or(x.fields[1] IN ('Accounting-On', 'Accounting-Off'))
                       OVER (PARTITION BY x.fields[6]) AS restarted
              FROM unnest(batch) x) b
      LEFT JOIN LATERAL (
          SELECT o.path FROM nas n JOIN nas_settings ns ON ns.nas_id = n.id
            JOIN operators o ON o.id = ns.operator_id
           WHERE n.nasname = b.f[6] LIMIT 1) owner ON true
$fn$;
--
-- Generic plans (plan_cache_mode, for this call and the radbill_acct calls in it): left to
-- choose, PostgreSQL plans radbill_acct's statements on partitioned radacct afresh at every call
-- (a custom plan prunes to one month at planning); a generic plan prunes when it starts instead,
-- and the locks on every month it needs are taken once per batch. Draining 9,000 S/I/S records:
-- 780-1,300 ms -> 550-900 ms (22 months: 1,000 -> 700-780 ms).
CREATE OR REPLACE FUNCTION radbill_acct_apply() RETURNS int LANGUAGE plpgsql
SET plan_cache_mode = force_generic_plan SET jit = off AS $fn$
DECLARE
    batch radbill_acct_record[];
    rest radbill_acct_record[];
    rec radbill_acct_record;
    opened bigint[];
    keyed bigint;
BEGIN
    WITH taken AS (
        DELETE FROM radius_acct_inbox
         WHERE id < (SELECT min(id) FROM radius_acct_inbox) + 10000
        RETURNING id, at, fields
    )
    -- a record with the acct_unique inputs after its 27 fields (radiusd.conf) gets its
    -- Acct-Unique-Session-Id here; one written before that carries it in f[3]
    SELECT array_agg(ROW(id, at, CASE WHEN cardinality(fields) >= 31 AND fields[3] = ''
                                      THEN fields[1:2] || radbill_acct_unique(fields)
                                           || fields[4:27]
                                      ELSE fields END)::radbill_acct_record ORDER BY id)
      INTO batch
      FROM taken;
    IF batch IS NULL THEN
        RETURN 0;
    END IF;
    BEGIN
        -- A Start alone in the batch (no other record of its session, its NAS did not restart
        -- in it) whose NAS may account for its customer and whose key is new: what
        -- radbill_acct's insert branch does, for all of them in one statement (~60 -> ~25 us a
        -- Start). A key already there (a repeated Start, a session another NAS opened) leaves
        -- the record to radbill_acct below. Planned at every call, as the statement after it.
        EXECUTE $q$
        WITH s AS (
            SELECT p.*, p.t - make_interval(secs => coalesce(p.stime, 0)) AS started
              FROM radbill_acct_parsed($1) p
             WHERE p.f[1] = 'Start' AND p.twins = 1 AND NOT p.restarted AND p.allowed
        ), n AS (
            SELECT s.* FROM s
             WHERE NOT EXISTS (SELECT FROM radacct_keys k WHERE k.acctuniqueid = s.f[3])
        ), k AS (
            -- the drain is the only writer of keys (one at a time): a key that appeared since
            -- the statement began fails the whole block (counted below)
            INSERT INTO radacct_keys (acctuniqueid, acctstarttime)
            SELECT n.f[3], n.started FROM n
            ON CONFLICT (acctuniqueid) DO NOTHING
            RETURNING 1
        ), ins AS (
            INSERT INTO radacct (acctsessionid, acctuniqueid, username, realm, nasipaddress,
                nasportid, nasporttype, acctstarttime, acctupdatetime, acctstoptime,
                acctsessiontime, acctauthentic, connectinfo_start, connectinfo_stop,
                acctinputoctets, acctoutputoctets, calledstationid, callingstationid,
                acctterminatecause, servicetype, framedprotocol, framedipaddress,
                framedipv6address, framedipv6prefix, framedinterfaceid, delegatedipv6prefix,
                class)
            SELECT n.f[2], n.f[3], n.f[4], nullif(n.f[5], ''), n.f[6]::inet, nullif(n.f[7], ''),
                   n.f[8], n.started, n.t, NULL, coalesce(n.stime, 0), n.f[11], n.f[12], NULL,
                   n.tin, n.tout, n.f[17], n.f[18], NULL, n.f[20], n.f[21],
                   nullif(n.f[22], '')::inet, nullif(n.f[23], '')::inet,
                   nullif(n.f[24], '')::inet, nullif(n.f[25], ''), nullif(n.f[26], '')::inet,
                   nullif(n.f[27], '')
              FROM n ORDER BY n.id
        ), logged AS (
            INSERT INTO radius_acct_log (kind, username, uniqueid, nasip, d_in, d_out, d_time)
            SELECT 'open', n.f[4], n.f[3], n.f[6], n.tin, n.tout, coalesce(n.stime, 0)
              FROM n ORDER BY n.id
        )
        SELECT (SELECT count(*) FROM k), coalesce(array_agg(n.id), '{}') FROM n
        $q$ INTO keyed, opened USING batch;
        IF keyed <> cardinality(opened) THEN
            RAISE EXCEPTION 'radbill_acct_apply: % of % new sessions found their key taken',
                cardinality(opened) - keyed, cardinality(opened);
        END IF;
        -- The common case in one statement: an Interim-Update or Stop of a session that is
        -- there, from the NAS that opened it and may account for its customer, the only record
        -- of its session in the batch, from a NAS that did not restart in it. It does what
        -- radbill_acct's update branch does (same expressions, the same unchanged-totals
        -- guard); every other record, and one whose row changed meanwhile, goes through
        -- radbill_acct below, in order.
        -- Planned at every call (EXECUTE; 1-2 ms a batch), never from a cached plan: one made
        -- while radacct looked empty (a fresh install, a month's new partition, the benchmark's
        -- truncated table) joined the batch to a full scan of radacct for every record and
        -- stayed cached: 10,000 records took 10 s, and the drain never caught up again.
        EXECUTE $q$
        WITH parsed AS (
            SELECT p.*, p.f[1] = 'Stop' AS is_stop FROM radbill_acct_parsed($1) p
             WHERE p.f[1] IN ('Interim-Update', 'Stop') AND p.twins = 1 AND NOT p.restarted
               AND p.allowed
        ), cur AS (
            SELECT p.*, r.radacctid AS rid, r.acctstarttime AS started,
                   r.acctinputoctets AS pi, r.acctoutputoctets AS po,
                   r.acctsessiontime AS ps, r.acctstoptime AS pstop
              FROM parsed p
              JOIN radacct_keys k ON k.acctuniqueid = p.f[3]
              -- (the user too: whichever index the plan picks, (acctuniqueid, acctstarttime)
              -- or (acctstarttime, username), finds the row without reading every session
              -- that began in the same second, thousands after a NAS reboot; a record naming
              -- another user goes through radbill_acct)
              JOIN radacct r ON r.acctuniqueid = p.f[3] AND r.acctstarttime = k.acctstarttime
                            AND r.username = p.f[4]
             WHERE r.nasipaddress = p.f[6]::inet
        ), upd AS (
            UPDATE radacct r SET
                acctinputoctets = greatest(coalesce(c.pi, 0), c.tin),
                acctoutputoctets = greatest(coalesce(c.po, 0), c.tout),
                acctsessiontime = greatest(coalesce(c.ps, 0), coalesce(c.stime, 0)),
                acctupdatetime = greatest(r.acctupdatetime, c.t),
                acctinterval = CASE WHEN NOT c.is_stop AND c.pstop IS NULL
                    THEN extract(epoch FROM c.t - coalesce(r.acctupdatetime, r.acctstarttime))::bigint
                    ELSE r.acctinterval END,
                acctstoptime = CASE WHEN c.is_stop THEN coalesce(c.pstop, c.t) ELSE c.pstop END,
                acctterminatecause = CASE WHEN c.is_stop
                    THEN coalesce(nullif(c.f[19], ''), r.acctterminatecause)
                    ELSE r.acctterminatecause END,
                connectinfo_stop = CASE WHEN c.is_stop THEN c.f[12] ELSE r.connectinfo_stop END,
                framedipaddress = coalesce(nullif(c.f[22], '')::inet, r.framedipaddress)
              FROM cur c
             WHERE r.radacctid = c.rid AND r.acctstarttime = c.started
               AND r.acctinputoctets IS NOT DISTINCT FROM c.pi
               AND r.acctoutputoctets IS NOT DISTINCT FROM c.po
               AND r.acctsessiontime IS NOT DISTINCT FROM c.ps
               AND r.acctstoptime IS NOT DISTINCT FROM c.pstop
            RETURNING c.id, c.f, c.is_stop, c.pstop,
                      greatest(c.tin - coalesce(c.pi, 0), 0) AS d_in,
                      greatest(c.tout - coalesce(c.po, 0), 0) AS d_out,
                      greatest(coalesce(c.stime, 0) - coalesce(c.ps, 0), 0) AS d_time
        ), logged AS (
            INSERT INTO radius_acct_log (kind, username, uniqueid, nasip, d_in, d_out, d_time)
            SELECT kind, u.f[4], u.f[3], u.f[6], u.d_in, u.d_out, u.d_time
              FROM upd u, LATERAL (SELECT CASE WHEN u.is_stop AND u.pstop IS NULL THEN 'close'
                  WHEN u.d_in > 0 OR u.d_out > 0 OR u.d_time > 0 THEN 'use' END AS kind) k
             WHERE kind IS NOT NULL
             ORDER BY u.id
        )
        SELECT array_agg(x ORDER BY x.id)
          FROM unnest($1) x
         WHERE NOT EXISTS (SELECT FROM upd WHERE upd.id = x.id) AND x.id <> ALL ($2)
        $q$ INTO rest USING batch, opened;
        RAISE DEBUG 'radbill_acct_apply: % of % records in one statement',
            cardinality(batch) - coalesce(cardinality(rest), 0), cardinality(batch);
        FOREACH rec IN ARRAY coalesce(rest, '{}') LOOP
            PERFORM radbill_acct_fields(rec.fields, rec.at);
        END LOOP;
    EXCEPTION WHEN OTHERS THEN
        RAISE WARNING 'radbill_acct_apply: % records again one at a time: %',
            cardinality(batch), SQLERRM;
        FOREACH rec IN ARRAY batch LOOP
            BEGIN
                PERFORM radbill_acct_fields(rec.fields, rec.at);
            EXCEPTION WHEN OTHERS THEN
                PERFORM radbill_acct_refuse(rec.fields[1], rec.fields[4], rec.fields[6],
                                            rec.fields[17], rec.fields[18], rec.fields[27], 'radbill_acct failed: ' || SQLERRM);
            END;
        END LOOP;
    END;
    RETURN cardinality(batch);
END
$fn$;
