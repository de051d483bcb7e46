//! The centre's PostgreSQL schema, by versioned migrations (table `turno_schema`). Released migrations
//! are never edited: add a new one. Ticket events are partitioned by month (partitions are created as
//! months arrive, `db::ensure_partitions`); `daily` holds the day's figures per office and service,
//! rewritten in the same transaction as each batch that changes that day, and so is `daily_cells`, its
//! finer cells with the durations the exact percentiles need.

/// Migration `i` brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: offices and their lag, names, the statistics' rows, the daily rollup, central accounts.
    r#"
CREATE TABLE offices (
    code text PRIMARY KEY,
    name text NOT NULL,
    timezone text NOT NULL,
    -- The last journal id committed here, and how many the office had written after it then.
    shipped bigint NOT NULL DEFAULT 0,
    backlog bigint NOT NULL DEFAULT 0,
    -- When the centre last heard from the office, and up to when its data is complete.
    last_seen timestamptz,
    data_as_of timestamptz
);

CREATE TABLE services (
    office text NOT NULL REFERENCES offices(code),
    service_id bigint NOT NULL,
    event_id bigint NOT NULL,
    code text NOT NULL,
    name text NOT NULL,
    target_wait_minutes integer,
    PRIMARY KEY (office, service_id)
);

CREATE TABLE counters (
    office text NOT NULL REFERENCES offices(code),
    counter_id bigint NOT NULL,
    event_id bigint NOT NULL,
    name text NOT NULL,
    PRIMARY KEY (office, counter_id)
);

CREATE TABLE ticket_events (
    office text NOT NULL,
    event_id bigint NOT NULL,
    ticket_id bigint NOT NULL,
    action text NOT NULL,
    from_state text,
    to_state text NOT NULL,
    at timestamptz NOT NULL,
    service_id bigint NOT NULL,
    counter_id bigint,
    user_id bigint,
    outcome text,
    PRIMARY KEY (office, event_id, at)
) PARTITION BY RANGE (at);

CREATE TABLE tickets (
    office text NOT NULL,
    ticket_id bigint NOT NULL,
    event_id bigint NOT NULL,
    office_day date NOT NULL,
    service_id bigint NOT NULL,
    counter_id bigint,
    user_id bigint,
    state text NOT NULL,
    priority boolean NOT NULL,
    weekday smallint NOT NULL,
    hour smallint NOT NULL,
    issued_at timestamptz NOT NULL,
    wait_ms bigint,
    service_ms bigint,
    outcome text,
    transfers integer NOT NULL,
    PRIMARY KEY (office, ticket_id)
);
CREATE INDEX tickets_by_day ON tickets (office_day, office);

CREATE TABLE ratings (
    office text NOT NULL,
    ticket_id bigint NOT NULL,
    event_id bigint NOT NULL,
    office_day date NOT NULL,
    service_id bigint NOT NULL,
    counter_id bigint,
    user_id bigint,
    weekday smallint NOT NULL,
    hour smallint NOT NULL,
    rating text NOT NULL,
    reason text,
    at timestamptz NOT NULL,
    PRIMARY KEY (office, ticket_id)
);
CREATE INDEX ratings_by_day ON ratings (office_day, office);

CREATE TABLE walk_ins (
    office text NOT NULL,
    walk_in_id bigint NOT NULL,
    event_id bigint NOT NULL,
    office_day date NOT NULL,
    service_id bigint NOT NULL,
    counter_id bigint NOT NULL,
    user_id bigint NOT NULL,
    weekday smallint NOT NULL,
    hour smallint NOT NULL,
    started_at timestamptz NOT NULL,
    service_ms bigint NOT NULL,
    outcome text NOT NULL,
    PRIMARY KEY (office, walk_in_id)
);
CREATE INDEX walk_ins_by_day ON walk_ins (office_day, office);

CREATE TABLE clerk_events (
    office text NOT NULL,
    clerk_event_id bigint NOT NULL,
    event_id bigint NOT NULL,
    session_id bigint NOT NULL,
    counter_id bigint NOT NULL,
    user_id bigint NOT NULL,
    kind text NOT NULL,
    reason text,
    at timestamptz NOT NULL,
    office_day date NOT NULL,
    PRIMARY KEY (office, clerk_event_id)
);
CREATE INDEX clerk_events_by_session ON clerk_events (office, session_id, clerk_event_id);
CREATE INDEX clerk_events_pauses ON clerk_events (office_day, office) WHERE kind = 'pause';

-- The figures of a day per office and service that need no percentile: counts and sums.
CREATE TABLE daily (
    office text NOT NULL,
    office_day date NOT NULL,
    service_id bigint NOT NULL,
    issued integer NOT NULL,
    served integer NOT NULL,
    no_show integer NOT NULL,
    walk_ins integer NOT NULL,
    called integer NOT NULL,
    long_waits integer NOT NULL,
    wait_secs bigint NOT NULL,
    timed integer NOT NULL,
    service_secs bigint NOT NULL,
    ratings integer NOT NULL,
    good integer NOT NULL,
    neutral integer NOT NULL,
    bad integer NOT NULL,
    PRIMARY KEY (office, office_day, service_id)
);
CREATE INDEX daily_by_day ON daily (office_day);

CREATE TABLE accounts (
    username text PRIMARY KEY,
    display_name text NOT NULL,
    password_hash text NOT NULL,
    -- NULL: the whole city; else the one office this account sees.
    office text REFERENCES offices(code),
    active boolean NOT NULL DEFAULT true
);
CREATE TABLE sessions (
    token_hash text PRIMARY KEY,
    username text NOT NULL REFERENCES accounts(username),
    expires_at timestamptz NOT NULL
);
"#,
    // 2: tickets with priority and tickets transferred in the daily rollup, counted for the days
    // already there.
    r#"
ALTER TABLE daily ADD COLUMN priority integer NOT NULL DEFAULT 0;
ALTER TABLE daily ADD COLUMN transferred integer NOT NULL DEFAULT 0;
UPDATE daily d SET priority = x.priority, transferred = x.transferred
FROM (SELECT office, office_day, service_id, count(*) FILTER (WHERE priority) AS priority,
             count(*) FILTER (WHERE transfers > 0) AS transferred
      FROM tickets GROUP BY office, office_day, service_id) x
WHERE d.office = x.office AND d.office_day = x.office_day AND d.service_id = x.service_id;
"#,
    // 3: the daily rollup's cells with their durations, so that statistics with exact percentiles are
    // read from the rollup instead of the rows: per office, day, service, counter, clerk, weekday and
    // hour, the counts and the waits and service times as (whole seconds, how many), sparse, ascending,
    // packed (the office's percentiles are taken on whole seconds: the same figures follow). Rewritten
    // for the days each batch touches, in its transaction, by `turno_daily_cells`, which a trigger calls
    // for the `daily` rows a batch writes (so an office still on an older version keeps them right);
    // counted here for the days already there.
    r#"
CREATE TABLE daily_cells (
    office text NOT NULL,
    office_day date NOT NULL,
    service_id bigint NOT NULL,
    counter_id bigint,
    user_id bigint,
    weekday smallint NOT NULL,
    hour smallint NOT NULL,
    issued integer NOT NULL,
    served integer NOT NULL,
    no_show integer NOT NULL,
    cancelled integer NOT NULL,
    expired integer NOT NULL,
    transferred integer NOT NULL,
    priority integer NOT NULL,
    walk_ins integer NOT NULL,
    -- (seconds, how many) ascending, each pair 12 bytes: int8send(seconds) || int4send(how many). Read
    -- as one value: an array of a cell's few dozen numbers costs PostgreSQL a call per element to send.
    waits bytea NOT NULL,
    services bytea NOT NULL,
    -- 'code=how_many code=how_many', by code (codes hold no spaces or '=').
    outcomes text NOT NULL,
    good integer NOT NULL,
    neutral integer NOT NULL,
    bad integer NOT NULL,
    -- 'reason=how_many …', by reason.
    reasons text NOT NULL,
    -- The counts as the centre reads them: one value instead of thirteen columns to send.
    counts bytea GENERATED ALWAYS AS (
        int4send(issued) || int4send(served) || int4send(no_show) || int4send(cancelled) || int4send(expired)
        || int4send(transferred) || int4send(priority) || int4send(walk_ins) || int4send(good)
        || int4send(neutral) || int4send(bad) || int2send(weekday) || int2send(hour)) STORED
);
CREATE INDEX daily_cells_by_office_day ON daily_cells (office, office_day);

-- The cells of an office's days, counted again from its rows (tickets, visits without ticket,
-- ratings) as the office's statistics count them: seconds are whole (milliseconds / 1000, at least 0),
-- a ticket's service time and outcome count only once served.
CREATE FUNCTION turno_daily_cells(p_office text, p_days date[]) RETURNS void LANGUAGE sql AS $f$
DELETE FROM daily_cells WHERE office = p_office AND office_day = ANY(p_days);
INSERT INTO daily_cells (office, office_day, service_id, counter_id, user_id, weekday, hour, issued, served,
                         no_show, cancelled, expired, transferred, priority, walk_ins, waits, services, outcomes,
                         good, neutral, bad, reasons)
WITH r AS (
  SELECT office_day AS d, service_id AS s, coalesce(counter_id, -1) AS c, coalesce(user_id, -1) AS u,
         weekday AS wd, hour AS h, 1 AS issued, (state = 'done')::int AS served,
         (state = 'no_show')::int AS no_show, (state = 'cancelled')::int AS cancelled,
         (state = 'expired')::int AS expired, (transfers > 0)::int AS transferred, priority::int AS priority,
         0 AS walk_ins,
         CASE WHEN wait_ms IS NOT NULL THEN least(greatest(wait_ms, 0) / 1000, 4294967295) END AS w,
         CASE WHEN state = 'done' AND service_ms IS NOT NULL
              THEN least(greatest(service_ms, 0) / 1000, 4294967295) END AS sv,
         CASE WHEN state = 'done' THEN outcome END AS o, NULL::text AS rating, NULL::text AS reason
  FROM tickets WHERE office = p_office AND office_day = ANY(p_days)
  UNION ALL
  SELECT office_day, service_id, counter_id, user_id, weekday, hour, 0, 0, 0, 0, 0, 0, 0, 1, NULL,
         least(greatest(service_ms, 0) / 1000, 4294967295), outcome, NULL, NULL
  FROM walk_ins WHERE office = p_office AND office_day = ANY(p_days)
  UNION ALL
  SELECT office_day, service_id, coalesce(counter_id, -1), coalesce(user_id, -1), weekday, hour, 0, 0, 0, 0, 0,
         0, 0, 0, NULL, NULL, NULL, rating, reason
  FROM ratings WHERE office = p_office AND office_day = ANY(p_days)
),
k AS (
  SELECT d, s, c, u, wd, h, sum(issued)::int AS issued, sum(served)::int AS served, sum(no_show)::int AS no_show,
         sum(cancelled)::int AS cancelled, sum(expired)::int AS expired, sum(transferred)::int AS transferred,
         sum(priority)::int AS priority, sum(walk_ins)::int AS walk_ins,
         count(*) FILTER (WHERE rating = 'good')::int AS good,
         count(*) FILTER (WHERE rating = 'neutral')::int AS neutral,
         count(*) FILTER (WHERE rating = 'bad')::int AS bad
  FROM r GROUP BY d, s, c, u, wd, h
),
wt AS (
  SELECT d, s, c, u, wd, h, string_agg(int8send(w) || int4send(n), ''::bytea ORDER BY w) AS ws
  FROM (SELECT d, s, c, u, wd, h, w, count(*)::int AS n FROM r WHERE w IS NOT NULL GROUP BY d, s, c, u, wd, h, w) x
  GROUP BY d, s, c, u, wd, h
),
st AS (
  SELECT d, s, c, u, wd, h, string_agg(int8send(sv) || int4send(n), ''::bytea ORDER BY sv) AS ss
  FROM (SELECT d, s, c, u, wd, h, sv, count(*)::int AS n FROM r WHERE sv IS NOT NULL
        GROUP BY d, s, c, u, wd, h, sv) x
  GROUP BY d, s, c, u, wd, h
),
ot AS (
  SELECT d, s, c, u, wd, h, string_agg(o || '=' || n, ' ' ORDER BY o) AS os
  FROM (SELECT d, s, c, u, wd, h, o, count(*)::int AS n FROM r WHERE o IS NOT NULL GROUP BY d, s, c, u, wd, h, o) x
  GROUP BY d, s, c, u, wd, h
),
rt AS (
  SELECT d, s, c, u, wd, h, string_agg(reason || '=' || n, ' ' ORDER BY reason) AS rs
  FROM (SELECT d, s, c, u, wd, h, reason, count(*)::int AS n FROM r WHERE reason IS NOT NULL
        GROUP BY d, s, c, u, wd, h, reason) x
  GROUP BY d, s, c, u, wd, h
)
SELECT p_office, d, s, nullif(c, -1), nullif(u, -1), wd, h, issued, served, no_show, cancelled, expired,
       transferred, priority, walk_ins, coalesce(ws, ''::bytea), coalesce(ss, ''::bytea), coalesce(os, ''), good,
       neutral, bad, coalesce(rs, '')
FROM k LEFT JOIN wt USING (d, s, c, u, wd, h) LEFT JOIN st USING (d, s, c, u, wd, h)
  LEFT JOIN ot USING (d, s, c, u, wd, h) LEFT JOIN rt USING (d, s, c, u, wd, h);
$f$;

-- Any writer that rewrites a day's `daily` rows rewrites its cells in the same statement's wake, in the
-- same transaction: the ingest of this version and that of an office still on an older one alike.
CREATE FUNCTION turno_daily_cells_follow() RETURNS trigger LANGUAGE plpgsql AS $f$
DECLARE
    o record;
BEGIN
    FOR o IN SELECT office, array_agg(DISTINCT office_day) AS days FROM written GROUP BY office LOOP
        PERFORM turno_daily_cells(o.office, o.days);
    END LOOP;
    RETURN NULL;
END
$f$;
CREATE TRIGGER daily_cells_follow AFTER INSERT ON daily REFERENCING NEW TABLE AS written
    FOR EACH STATEMENT EXECUTE FUNCTION turno_daily_cells_follow();

SELECT turno_daily_cells(o.code, ARRAY(SELECT office_day FROM tickets WHERE office = o.code
                                       UNION SELECT office_day FROM walk_ins WHERE office = o.code
                                       UNION SELECT office_day FROM ratings WHERE office = o.code))
FROM offices o;
"#,
];

/// The schema version this code writes and reads.
pub const LATEST: i32 = MIGRATIONS.len() as i32;
