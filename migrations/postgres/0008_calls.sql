-- Call lines (话务) and callback tasks (回访 through channels).
--
-- call_legs: every leg a console reported, once (leg_id is the console's idempotency
-- key). call_counts and call_wait_buckets: the legs summed per line and hour (of the
-- offer, epoch milliseconds of the UTC hour), added in the transaction that stores the
-- leg, so statistics sum a few rows and never scan legs. missed_calls: abandoned calls
-- with a caller number until an answered call from that number or a callback clears them.
-- callback_tasks: one per ticket awaiting its callback, created (and closed) in the
-- transaction of the transition, leased to channel adapters like PullAssigned's tickets.

CREATE TABLE call_legs (
    leg_id       TEXT    NOT NULL PRIMARY KEY,
    line         TEXT    NOT NULL,
    caller       TEXT,
    agent        TEXT,
    ticket_id    BIGINT,
    offered_at   BIGINT NOT NULL,
    answered_at  BIGINT,
    abandoned_at BIGINT,
    fingerprint  TEXT    NOT NULL,
    reported_at  BIGINT NOT NULL
);
-- A later answered call from a number clears its missed calls.
CREATE INDEX call_legs_caller ON call_legs (caller, offered_at) WHERE caller IS NOT NULL;

CREATE TABLE call_counts (
    line            TEXT    NOT NULL,
    hour            BIGINT NOT NULL,
    offered         BIGINT NOT NULL DEFAULT 0,
    answered        BIGINT NOT NULL DEFAULT 0,
    answered_in_15s BIGINT NOT NULL DEFAULT 0,
    abandoned       BIGINT NOT NULL DEFAULT 0,
    short_abandoned BIGINT NOT NULL DEFAULT 0,
    wait_ms         BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (line, hour)
);
CREATE INDEX call_counts_hour ON call_counts (hour);

CREATE TABLE call_wait_buckets (
    line   TEXT    NOT NULL,
    hour   BIGINT NOT NULL,
    bucket BIGINT NOT NULL,
    calls  BIGINT NOT NULL DEFAULT 0,
    PRIMARY KEY (line, hour, bucket)
);
CREATE INDEX call_wait_buckets_hour ON call_wait_buckets (hour);

CREATE TABLE missed_calls (
    leg_id       TEXT    NOT NULL PRIMARY KEY REFERENCES call_legs (leg_id),
    line         TEXT    NOT NULL,
    caller       TEXT    NOT NULL,
    abandoned_at BIGINT NOT NULL,
    due_at       BIGINT NOT NULL,
    cleared_at   BIGINT,
    cleared_by   TEXT, -- 'call' (the caller got through) or 'callback'
    agent        TEXT,
    note         TEXT
);
CREATE INDEX missed_calls_open ON missed_calls (due_at, leg_id) WHERE cleared_at IS NULL;
CREATE INDEX missed_calls_caller ON missed_calls (caller) WHERE cleared_at IS NULL;

CREATE TABLE callback_tasks (
    ticket_id    BIGINT NOT NULL PRIMARY KEY REFERENCES tickets (id),
    status       TEXT    NOT NULL, -- open | done
    channel      TEXT, -- NULL: the first channel of config/calls.toml
    attempts     BIGINT NOT NULL DEFAULT 0,
    created_at   BIGINT NOT NULL,
    not_before   BIGINT NOT NULL,
    lease_owner  TEXT,
    lease_until  BIGINT,
    last_outcome TEXT,
    last_reply   TEXT
);
CREATE INDEX callback_tasks_open ON callback_tasks (created_at, ticket_id) WHERE status = 'open';

-- Tickets already awaiting their callback get their task.
INSERT INTO callback_tasks (ticket_id, status, created_at, not_before)
SELECT id, 'open', updated_at, updated_at FROM tickets WHERE state = 'awaiting_callback';
