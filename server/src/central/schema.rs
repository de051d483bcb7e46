//! The centre's PostgreSQL schema, by versioned migrations (table `turno_schema`). Released migrations
//! are never edited: add a new one. Ticket events are partitioned by month (partitions are created as
//! months arrive, `db::ensure_partitions`); `daily` holds the day's figures per office and service,
//! rewritten in the same transaction as each batch that changes that day.

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
];

/// The schema version this code writes and reads.
pub const LATEST: i32 = MIGRATIONS.len() as i32;
