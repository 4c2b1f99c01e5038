-- Tickets and their append-only event log.
--
-- `body` holds the whole ticket as JSON and is what the daemon reads; the other columns
-- are projections of it, written in the same statement, for filtering, leases, deadlines
-- and the rates. Instants are Unix epoch milliseconds (UTC).

CREATE TABLE tickets (
    id                    INTEGER PRIMARY KEY AUTOINCREMENT,
    version               INTEGER NOT NULL,
    state                 TEXT    NOT NULL,
    request_id            TEXT    NOT NULL UNIQUE,
    request_fingerprint   TEXT    NOT NULL,
    channel               TEXT    NOT NULL,
    line                  TEXT    NOT NULL,
    request_type          TEXT    NOT NULL,
    outcome               TEXT    NOT NULL,
    category              TEXT    NOT NULL,
    region                TEXT    NOT NULL,
    urgency               TEXT    NOT NULL,
    assigned_unit         TEXT,
    merged_into           INTEGER REFERENCES tickets (id),
    supervised            INTEGER NOT NULL,
    created_at            INTEGER NOT NULL,
    updated_at            INTEGER NOT NULL,
    dispatched_at         INTEGER,
    responded_at          INTEGER,
    sign_due_at           INTEGER,
    respond_due_at        INTEGER,
    reply_due_at          INTEGER,
    callback_at           INTEGER,
    callback_resolved     INTEGER,
    callback_satisfaction TEXT,
    closed_at             INTEGER,
    lease_owner           TEXT,
    lease_until           INTEGER,
    body                  TEXT    NOT NULL
);

-- PullAssigned: a unit's open tickets by reply deadline.
CREATE INDEX tickets_pull ON tickets (assigned_unit, reply_due_at, id)
    WHERE state IN ('dispatched', 'signed', 'responded', 'in_progress');
-- Overdue scans, one per deadline.
CREATE INDEX tickets_sign_due ON tickets (sign_due_at) WHERE state = 'dispatched';
CREATE INDEX tickets_respond_due ON tickets (respond_due_at) WHERE state = 'signed';
CREATE INDEX tickets_reply_due ON tickets (reply_due_at)
    WHERE state IN ('signed', 'responded', 'in_progress', 'return_requested');
-- Rates by period.
CREATE INDEX tickets_dispatched_at ON tickets (dispatched_at);
CREATE INDEX tickets_callback_at ON tickets (callback_at);
-- Search and merge look-ups.
CREATE INDEX tickets_unit_state ON tickets (assigned_unit, state);
CREATE INDEX tickets_created_at ON tickets (created_at);
CREATE INDEX tickets_region ON tickets (region);
CREATE INDEX tickets_merged_into ON tickets (merged_into) WHERE merged_into IS NOT NULL;

CREATE TABLE ticket_events (
    id           INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id    INTEGER NOT NULL REFERENCES tickets (id),
    version      INTEGER NOT NULL,
    command      TEXT    NOT NULL,
    from_state   TEXT,
    to_state     TEXT    NOT NULL,
    actor_unit   TEXT    NOT NULL,
    actor_person TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    reason       TEXT    NOT NULL,
    details      TEXT    NOT NULL,
    UNIQUE (ticket_id, version)
);

-- The event log is append-only.
CREATE TRIGGER ticket_events_no_update BEFORE UPDATE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;
CREATE TRIGGER ticket_events_no_delete BEFORE DELETE ON ticket_events
BEGIN
    SELECT RAISE(ABORT, 'ticket_events is append-only');
END;
