//! Schema migrations by `PRAGMA user_version`. Released migrations are never edited: add a new one.

/// Migration `i` brings the schema from version `i` to `i + 1`.
pub const MIGRATIONS: &[&str] = &[
    // 1: the office, the ticket's life, ratings, printer alerts and the live-event feed.
    r#"
CREATE TABLE settings (key TEXT PRIMARY KEY, value TEXT NOT NULL) STRICT;

CREATE TABLE services (
    id INTEGER PRIMARY KEY,
    code TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL,
    info TEXT NOT NULL,
    documents TEXT NOT NULL,
    outcomes TEXT NOT NULL,
    target_wait_minutes INTEGER,
    daily_cap INTEGER,
    hours TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE counters (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE counter_services (
    counter_id INTEGER NOT NULL REFERENCES counters(id) ON DELETE CASCADE,
    service_id INTEGER NOT NULL REFERENCES services(id),
    rank INTEGER NOT NULL,
    PRIMARY KEY (counter_id, service_id)
) STRICT;

CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    username TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('clerk', 'admin')),
    password_hash TEXT NOT NULL,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;

CREATE TABLE devices (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('kiosk', 'display')),
    token_hash TEXT NOT NULL UNIQUE,
    revoked INTEGER NOT NULL DEFAULT 0,
    created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE auth_tokens (
    token_hash TEXT PRIMARY KEY,
    user_id INTEGER NOT NULL REFERENCES users(id),
    expires_at INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

CREATE TABLE counter_sessions (
    id INTEGER PRIMARY KEY,
    counter_id INTEGER NOT NULL REFERENCES counters(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    opened_at INTEGER NOT NULL,
    closed_at INTEGER,
    paused_reason TEXT,
    urgent_streak INTEGER NOT NULL DEFAULT 0
) STRICT;
CREATE UNIQUE INDEX counter_sessions_one_per_counter ON counter_sessions(counter_id) WHERE closed_at IS NULL;
CREATE UNIQUE INDEX counter_sessions_one_per_user ON counter_sessions(user_id) WHERE closed_at IS NULL;

CREATE TABLE clerk_events (
    id INTEGER PRIMARY KEY,
    session_id INTEGER NOT NULL REFERENCES counter_sessions(id),
    kind TEXT NOT NULL CHECK (kind IN ('open', 'close', 'pause', 'resume')),
    reason TEXT,
    at INTEGER NOT NULL
) STRICT;

CREATE TABLE tickets (
    id INTEGER PRIMARY KEY,
    office_day TEXT NOT NULL,
    prefix TEXT NOT NULL,
    seq INTEGER NOT NULL CHECK (seq BETWEEN 1 AND 9999),
    service_id INTEGER NOT NULL REFERENCES services(id),
    priority INTEGER NOT NULL,
    language TEXT,
    token TEXT NOT NULL UNIQUE,
    state TEXT NOT NULL CHECK (state IN ('waiting', 'called', 'serving', 'done', 'no_show', 'cancelled', 'expired')),
    issued_at INTEGER NOT NULL,
    called_at INTEGER,
    started_at INTEGER,
    finished_at INTEGER,
    counter_id INTEGER REFERENCES counters(id),
    user_id INTEGER REFERENCES users(id),
    target_counter_id INTEGER REFERENCES counters(id),
    outcome TEXT,
    note TEXT,
    UNIQUE (office_day, prefix, seq)
) STRICT;
CREATE INDEX tickets_waiting ON tickets(service_id, priority, issued_at, id) WHERE state = 'waiting';
CREATE INDEX tickets_targeted ON tickets(target_counter_id, issued_at, id) WHERE state = 'waiting' AND target_counter_id IS NOT NULL;
CREATE INDEX tickets_at_counter ON tickets(counter_id) WHERE state IN ('called', 'serving');
CREATE INDEX tickets_done ON tickets(service_id, finished_at) WHERE state = 'done';
CREATE INDEX tickets_open ON tickets(office_day) WHERE state IN ('waiting', 'called', 'serving');

CREATE TABLE ticket_events (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER NOT NULL REFERENCES tickets(id),
    action TEXT NOT NULL,
    from_state TEXT,
    to_state TEXT NOT NULL,
    at INTEGER NOT NULL,
    service_id INTEGER NOT NULL REFERENCES services(id),
    counter_id INTEGER REFERENCES counters(id),
    user_id INTEGER REFERENCES users(id),
    outcome TEXT
) STRICT;
CREATE INDEX ticket_events_ticket ON ticket_events(ticket_id);
CREATE INDEX ticket_events_at ON ticket_events(at);

CREATE TABLE ratings (
    ticket_id INTEGER PRIMARY KEY REFERENCES tickets(id),
    rating TEXT NOT NULL CHECK (rating IN ('good', 'neutral', 'bad')),
    reason TEXT,
    at INTEGER NOT NULL,
    service_id INTEGER NOT NULL REFERENCES services(id),
    counter_id INTEGER REFERENCES counters(id),
    user_id INTEGER REFERENCES users(id)
) STRICT;

CREATE TABLE printer_alerts (
    id INTEGER PRIMARY KEY,
    device_id INTEGER NOT NULL REFERENCES devices(id),
    status TEXT NOT NULL,
    message TEXT,
    at INTEGER NOT NULL
) STRICT;

CREATE TABLE feed (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    name TEXT NOT NULL,
    data TEXT NOT NULL
);
"#,
    // 2: counting the open counters of a service goes from the service.
    r#"
CREATE INDEX counter_services_by_service ON counter_services(service_id, counter_id);
"#,
    // 3: the clerk's console: where a transferred ticket comes from, visits without a ticket, further
    // services delivered in a visit, pauses by reason with a note of their own; the back office's days
    // closed, audit log, forms and notices; what the statistics need of a ticket.
    r#"
ALTER TABLE tickets ADD COLUMN transferred_from_service_id INTEGER REFERENCES services(id);
ALTER TABLE tickets ADD COLUMN transferred_from_counter_id INTEGER REFERENCES counters(id);
-- For the statistics: when a ticket was first called (its wait ends there) and how often transferred.
ALTER TABLE tickets ADD COLUMN first_called_at INTEGER;
ALTER TABLE tickets ADD COLUMN transfers INTEGER NOT NULL DEFAULT 0;
UPDATE tickets SET first_called_at = (
    SELECT MIN(at) FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.action = 'call');
UPDATE tickets SET transfers = (
    SELECT COUNT(*) FROM ticket_events e WHERE e.ticket_id = tickets.id AND e.action = 'transfer');

CREATE TABLE walk_ins (
    id INTEGER PRIMARY KEY,
    office_day TEXT NOT NULL,
    service_id INTEGER NOT NULL REFERENCES services(id),
    counter_id INTEGER NOT NULL REFERENCES counters(id),
    user_id INTEGER NOT NULL REFERENCES users(id),
    started_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    note TEXT
) STRICT;
CREATE INDEX walk_ins_by_day ON walk_ins(office_day, user_id);

CREATE TABLE extra_services (
    id INTEGER PRIMARY KEY,
    ticket_id INTEGER REFERENCES tickets(id),
    walk_in_id INTEGER REFERENCES walk_ins(id),
    service_id INTEGER NOT NULL REFERENCES services(id),
    CHECK ((ticket_id IS NULL) <> (walk_in_id IS NULL))
) STRICT;
CREATE INDEX extra_services_of_ticket ON extra_services(ticket_id) WHERE ticket_id IS NOT NULL;
CREATE INDEX extra_services_of_walk_in ON extra_services(walk_in_id) WHERE walk_in_id IS NOT NULL;

ALTER TABLE counter_sessions ADD COLUMN paused_note TEXT;
ALTER TABLE counter_sessions ADD COLUMN paused_at INTEGER;
ALTER TABLE clerk_events ADD COLUMN note TEXT;
-- Pauses had a free-text reason: it becomes the note of an 'other' pause.
UPDATE clerk_events SET note = reason, reason = 'other'
    WHERE kind = 'pause' AND reason NOT IN ('break', 'back_office', 'technical', 'other');
UPDATE counter_sessions SET paused_note = paused_reason, paused_reason = 'other'
    WHERE paused_reason NOT IN ('break', 'back_office', 'technical', 'other');
UPDATE counter_sessions SET paused_at = (
    SELECT MAX(at) FROM clerk_events e WHERE e.session_id = counter_sessions.id AND e.kind = 'pause'
) WHERE paused_reason IS NOT NULL;
CREATE INDEX clerk_events_by_session ON clerk_events(session_id, id);
CREATE INDEX counter_sessions_by_user ON counter_sessions(user_id, opened_at);
CREATE INDEX tickets_by_clerk ON tickets(user_id, office_day) WHERE user_id IS NOT NULL;

ALTER TABLE services ADD COLUMN closed_days TEXT NOT NULL DEFAULT '[]';

CREATE TABLE audit_log (
    id INTEGER PRIMARY KEY,
    at INTEGER NOT NULL,
    user_id INTEGER REFERENCES users(id),
    action TEXT NOT NULL,
    entity TEXT NOT NULL,
    entity_id INTEGER,
    before TEXT,
    after TEXT
) STRICT;
CREATE INDEX audit_log_at ON audit_log(at);

CREATE TABLE forms (
    id INTEGER PRIMARY KEY,
    service_id INTEGER NOT NULL REFERENCES services(id),
    title TEXT NOT NULL,
    filename TEXT NOT NULL,
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL,
    uploaded_at INTEGER NOT NULL
) STRICT;
CREATE INDEX forms_of_service ON forms(service_id);

CREATE TABLE notices (
    id INTEGER PRIMARY KEY,
    text TEXT NOT NULL,
    starts_at INTEGER,
    ends_at INTEGER,
    active INTEGER NOT NULL DEFAULT 1
) STRICT;
"#,
    // 4: the packed facts of closed office days, for the statistics of long ranges (a change to one of
    // a day's rows — a ticket, a visit without a ticket, a rating — deletes its facts, to be packed
    // again); the journal of what ships to the city's centre.
    r#"
CREATE TABLE day_facts (
    id INTEGER PRIMARY KEY,
    office_day TEXT NOT NULL UNIQUE,
    format INTEGER NOT NULL,
    codes TEXT NOT NULL,
    tickets BLOB NOT NULL,
    walk_ins BLOB NOT NULL,
    ratings BLOB NOT NULL
) STRICT;

CREATE TRIGGER day_facts_ticket_added AFTER INSERT ON tickets BEGIN
    DELETE FROM day_facts WHERE office_day = NEW.office_day;
END;
CREATE TRIGGER day_facts_ticket_changed AFTER UPDATE OF office_day, service_id, counter_id, user_id, state,
    priority, issued_at, first_called_at, called_at, started_at, finished_at, outcome, transfers ON tickets BEGIN
    DELETE FROM day_facts WHERE office_day IN (OLD.office_day, NEW.office_day);
END;
CREATE TRIGGER day_facts_ticket_removed AFTER DELETE ON tickets BEGIN
    DELETE FROM day_facts WHERE office_day = OLD.office_day;
END;

CREATE TRIGGER day_facts_walk_in_added AFTER INSERT ON walk_ins BEGIN
    DELETE FROM day_facts WHERE office_day = NEW.office_day;
END;
CREATE TRIGGER day_facts_walk_in_changed AFTER UPDATE OF office_day, service_id, counter_id, user_id, started_at,
    finished_at, outcome ON walk_ins BEGIN
    DELETE FROM day_facts WHERE office_day IN (OLD.office_day, NEW.office_day);
END;
CREATE TRIGGER day_facts_walk_in_removed AFTER DELETE ON walk_ins BEGIN
    DELETE FROM day_facts WHERE office_day = OLD.office_day;
END;

CREATE TRIGGER day_facts_rating_added AFTER INSERT ON ratings BEGIN
    DELETE FROM day_facts WHERE office_day = (SELECT office_day FROM tickets WHERE id = NEW.ticket_id);
END;
CREATE TRIGGER day_facts_rating_changed AFTER UPDATE ON ratings BEGIN
    DELETE FROM day_facts WHERE office_day IN (SELECT office_day FROM tickets WHERE id IN (OLD.ticket_id, NEW.ticket_id));
END;
CREATE TRIGGER day_facts_rating_removed AFTER DELETE ON ratings BEGIN
    DELETE FROM day_facts WHERE office_day = (SELECT office_day FROM tickets WHERE id = OLD.ticket_id);
END;

-- Shipping to the city's centre. Every row the statistics read is listed, as it is written, in one
-- journal whose id is the office's event id: the shipper sends the journal in order after a cursor kept
-- here, so nothing written is skipped and a retry sends the same ids. The journal is filled by
-- triggers, in the writer's own transaction; the office's existing rows are listed first.
CREATE TABLE central_journal (
    id INTEGER PRIMARY KEY,
    kind TEXT NOT NULL CHECK (kind IN ('event', 'rating', 'walk_in', 'clerk', 'service', 'counter')),
    ref INTEGER NOT NULL
) STRICT;
CREATE TABLE central_cursor (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    shipped INTEGER NOT NULL,
    at INTEGER NOT NULL
) STRICT;

INSERT INTO central_journal (kind, ref) SELECT 'service', id FROM services ORDER BY id;
INSERT INTO central_journal (kind, ref) SELECT 'counter', id FROM counters ORDER BY id;
INSERT INTO central_journal (kind, ref) SELECT 'event', id FROM ticket_events ORDER BY id;
INSERT INTO central_journal (kind, ref) SELECT 'rating', ticket_id FROM ratings ORDER BY at, ticket_id;
INSERT INTO central_journal (kind, ref) SELECT 'walk_in', id FROM walk_ins ORDER BY id;
INSERT INTO central_journal (kind, ref) SELECT 'clerk', id FROM clerk_events ORDER BY id;

CREATE TRIGGER central_event AFTER INSERT ON ticket_events
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('event', NEW.id); END;
CREATE TRIGGER central_rating AFTER INSERT ON ratings
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('rating', NEW.ticket_id); END;
CREATE TRIGGER central_walk_in AFTER INSERT ON walk_ins
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('walk_in', NEW.id); END;
CREATE TRIGGER central_clerk AFTER INSERT ON clerk_events
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('clerk', NEW.id); END;
CREATE TRIGGER central_service_new AFTER INSERT ON services
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('service', NEW.id); END;
CREATE TRIGGER central_service_changed AFTER UPDATE OF code, name, target_wait_minutes ON services
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('service', NEW.id); END;
CREATE TRIGGER central_counter_new AFTER INSERT ON counters
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('counter', NEW.id); END;
CREATE TRIGGER central_counter_changed AFTER UPDATE OF name ON counters
BEGIN INSERT INTO central_journal (kind, ref) VALUES ('counter', NEW.id); END;
"#,
    // 5: shipping to the centre can be off. While it is off the journal's triggers are dropped, so the
    // office writes nothing for a centre it does not have, and this row says which rows the centre
    // lacks when shipping is turned on: those after these (see `store::central::set_shipping`).
    r#"
CREATE TABLE central_off (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    event INTEGER NOT NULL,
    rating_at INTEGER NOT NULL,
    walk_in INTEGER NOT NULL,
    clerk INTEGER NOT NULL,
    since INTEGER NOT NULL
) STRICT;
"#,
];

/// The schema version this code writes.
pub const LATEST: u32 = MIGRATIONS.len() as u32;
