-- Deadlines as data: the projected first running deadline and its warning instants, the
-- deadline scanner's cursor, chase-ups (催办), and the warnings the scanner recorded.
--
-- `next_due_at`, `yellow_at` and `red_at` project the ticket's `watch` (its first running
-- deadline); they are NULL exactly when no deadline runs. `next_alert_at` is the scanner's
-- cursor: every save resets it to `yellow_at`, the scanner moves it to the next warning
-- instant (or NULL) without touching the ticket's version.

ALTER TABLE tickets ADD COLUMN next_due_at INTEGER;
ALTER TABLE tickets ADD COLUMN yellow_at INTEGER;
ALTER TABLE tickets ADD COLUMN red_at INTEGER;
ALTER TABLE tickets ADD COLUMN next_alert_at INTEGER;
ALTER TABLE tickets ADD COLUMN chase_up_count INTEGER NOT NULL DEFAULT 0;

-- Tickets saved before this migration: the first running deadline from the due columns,
-- warnings at the default fractions (0.75, 0.9) of the window from dispatch, and a cursor
-- that lets the scanner look at each of them once.
UPDATE tickets SET next_due_at = CASE state
        WHEN 'dispatched' THEN min(sign_due_at, respond_due_at, reply_due_at)
        WHEN 'signed' THEN min(respond_due_at, reply_due_at)
        WHEN 'responded' THEN reply_due_at
        WHEN 'in_progress' THEN reply_due_at
        WHEN 'return_requested' THEN reply_due_at
    END
    WHERE dispatched_at IS NOT NULL;
UPDATE tickets SET
        yellow_at = dispatched_at + (next_due_at - dispatched_at) * 3 / 4,
        red_at = dispatched_at + (next_due_at - dispatched_at) * 9 / 10,
        next_alert_at = dispatched_at
    WHERE next_due_at IS NOT NULL;

-- The overdue scans of 0001, one per deadline, give way to the projected first deadline.
DROP INDEX tickets_sign_due;
DROP INDEX tickets_respond_due;
DROP INDEX tickets_reply_due;

-- The deadline scanner: tickets whose next warning has fallen.
CREATE INDEX tickets_next_alert ON tickets (next_alert_at) WHERE next_alert_at IS NOT NULL;
-- ListOverdue by level, across units.
CREATE INDEX tickets_next_due ON tickets (next_due_at) WHERE next_due_at IS NOT NULL;
CREATE INDEX tickets_red ON tickets (red_at) WHERE red_at IS NOT NULL;
CREATE INDEX tickets_yellow ON tickets (yellow_at) WHERE yellow_at IS NOT NULL;
-- Open tickets per unit, overdue among them, supervised and chased up: the gauges and the
-- supervision summary, answered from the index alone.
CREATE INDEX tickets_open_by_unit ON tickets (assigned_unit, next_due_at, supervised, chase_up_count)
    WHERE next_due_at IS NOT NULL;

-- Warnings, once per ticket, deadline, due instant and level. Append-only like the events.
CREATE TABLE deadline_alerts (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    ticket_id   INTEGER NOT NULL REFERENCES tickets (id),
    deadline    TEXT    NOT NULL,
    due_at      INTEGER NOT NULL,
    level       TEXT    NOT NULL,
    unit        TEXT,
    reached_at  INTEGER NOT NULL,
    recorded_at INTEGER NOT NULL,
    UNIQUE (ticket_id, deadline, due_at, level)
);
CREATE INDEX deadline_alerts_recorded_at ON deadline_alerts (recorded_at);

CREATE TRIGGER deadline_alerts_no_update BEFORE UPDATE ON deadline_alerts
BEGIN
    SELECT RAISE(ABORT, 'deadline_alerts is append-only');
END;
CREATE TRIGGER deadline_alerts_no_delete BEFORE DELETE ON deadline_alerts
BEGIN
    SELECT RAISE(ABORT, 'deadline_alerts is append-only');
END;
