"""Every SQL statement of the hot path, named and parameterised (psycopg placeholders).

The loaders return rows in the shape `radius_module.state` builds its records from; each has a
`_BY_*` twin that re-reads only the keys a change notice named.
"""

CHANNEL = "radbill_radius"

# LISTEN is issued before the first full load so no change committed during it is missed.
LISTEN = "LISTEN radbill_radius"

_CUSTOMER_COLUMNS = """
    SELECT id, username, password, nt_hash, mac, host(static_ip), status::text,
           deleted_at IS NOT NULL, extract(epoch FROM expires_at)::float8, operator_id, package_id,
           ipv6_prefix::text, delegated_prefix::text
      FROM customers"""
# The whole subscriber table: what authorize needs and nothing more (no money, no profile); in id
# order, so a reload walks the table it replaces alongside and reuses its unchanged records.
CUSTOMERS = _CUSTOMER_COLUMNS + " ORDER BY id"
# The rows a notice named; gone ids simply come back missing.
CUSTOMERS_BY_ID = _CUSTOMER_COLUMNS + " WHERE id = ANY(%s)"

# Pool names are joined in, since Framed-Pool (and Framed-IPv6-Pool,
# Delegated-IPv6-Prefix-Pool) send the name; a pool change reloads packages.
PACKAGES = """
    SELECT p.id, p.rate_down, p.rate_up, p.burst_down, p.burst_up, p.burst_threshold_down,
           p.burst_threshold_up, p.burst_time, p.data_cap, p.fup_rate_down, p.fup_rate_up,
           pool.name, fup.name, p.sim_use, p.time_limit, p.data_limit, pool6.name, pd.name
      FROM packages p
      LEFT JOIN ip_pools pool ON pool.id = p.pool_id
      LEFT JOIN ip_pools fup ON fup.id = p.fup_pool_id
      LEFT JOIN ip_pools pool6 ON pool6.id = p.pool6_id
      LEFT JOIN ip_pools pd ON pd.id = p.pd_pool_id"""

# What the current cycle used, only for customers of a package with a time or data limit (the
# hotspot's): a load costs nothing without such packages, and the drain names these customers
# in a `usage` notice when their counters move.
_USAGE = """
    SELECT c.id, uc.session_time, uc.bytes_in + uc.bytes_out
      FROM packages p
      JOIN customers c ON c.package_id = p.id
      JOIN usage_counters uc ON uc.customer_id = c.id AND uc.cycle_start = c.cycle_start
     WHERE p.time_limit IS NOT NULL OR p.data_limit IS NOT NULL"""
USAGE = _USAGE
USAGE_BY_ID = _USAGE + " AND c.id = ANY(%s)"

# At most one pool of each family is flagged (a partial unique index says so): the IPv4 one,
# then the IPv6 one.
SUSPENSION_POOL = """
    SELECT (SELECT name FROM ip_pools WHERE suspended AND family(cidr) = 4),
           (SELECT name FROM ip_pools WHERE suspended AND family(cidr) = 6)"""

# The NAS is known by the address it sends from; nas_settings says which operator owns it.
NAS = """
    SELECT n.nasname, n.id, s.operator_id
      FROM nas n LEFT JOIN nas_settings s ON s.nas_id = n.id"""

# The materialized path decides "in the subtree of" with a prefix test.
OPERATORS = "SELECT id, path FROM operators"

# FreeRADIUS' own reply tables, in rlm_sql's order (by id; groups by priority).
RADREPLY = "SELECT username, attribute, op, value FROM radreply ORDER BY id"
RADREPLY_BY_USER = ("SELECT username, attribute, op, value FROM radreply "
                    "WHERE username = ANY(%s) ORDER BY id")
RADUSERGROUP = "SELECT username, groupname FROM radusergroup ORDER BY username, priority, id"
RADUSERGROUP_BY_USER = ("SELECT username, groupname FROM radusergroup "
                        "WHERE username = ANY(%s) ORDER BY username, priority, id")
RADGROUPREPLY = "SELECT groupname, attribute, op, value FROM radgroupreply ORDER BY id"

# Open sessions, for simultaneous use; the partial index radacct_open_user_idx covers it.
OPEN_SESSIONS = """
    SELECT acctuniqueid, lower(username), host(nasipaddress)
      FROM radacct WHERE acctstoptime IS NULL AND username IS NOT NULL"""

# rlm_sql commits each accounting record into radius_acct_inbox; this applies the inbox to
# radacct and turns what changed into usage counters, fair-usage crossings and session notices,
# one drainer at a time, in one transaction (radbill/sql/radius_accounting.sql).
DRAIN = "SELECT radbill_drain()"
# sync.py: the inbox's dead rows gone every 2 s
VACUUM_INBOX = "VACUUM (SKIP_LOCKED, TRUNCATE false) radius_acct_inbox"

# Post-auth log, written in bulk by the module's background thread.
POSTAUTH_COPY = ("COPY radpostauth (username, pass, reply, calledstationid, callingstationid, "
                 "authdate, class, reason) FROM STDIN")

# For the last-seen upsert, in its transaction: the batch joins customers by primary key (with a
# few thousand ids the planner hashed every customer: 100,000, ~40 ms for 3,000 ids against ~24
# by index, when it updated customers itself).
LAST_SEEN_SETUP = ("SELECT set_config('enable_hashjoin', 'off', true), "
                   "set_config('enable_mergejoin', 'off', true)")

# Last seen, one statement per flush, in customer order (two nodes' flushes lock rows in the
# same order); never moves backwards. A customer deleted since authorize is skipped: the join
# reads customers by primary key, and customer_last_seen's rows go with their customer.
LAST_SEEN = """
    INSERT INTO customer_last_seen AS s (customer_id, last_seen_at)
    SELECT c.id, v.t FROM unnest(%s::int[], %s::timestamptz[]) AS v(id, t)
      JOIN customers c ON c.id = v.id ORDER BY c.id
    ON CONFLICT (customer_id) DO UPDATE SET last_seen_at = excluded.last_seen_at
     WHERE s.last_seen_at < excluded.last_seen_at"""
