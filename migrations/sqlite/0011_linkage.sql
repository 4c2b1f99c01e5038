-- Regional linkage (区域联动): hand-offs of tickets to partner centres.
--
-- One row per hand-off (a ticket dispatched to a partner unit at one instant; the
-- hand_off_id is the partner's idempotency key). The ticket row, committed with its
-- dispatch, is the durable intent; the sender adds the row when it first sees the ticket
-- and keeps here what delivery did: attempts, when to try next, the last error, the
-- partner's ticket id. Senders on several replicas claim rows under a lease.
-- status: pending (not yet accepted) → sent (accepted; progress followed) → replied (the
-- partner's reply is on our ticket; its closure awaited) → done.

CREATE TABLE linkage_outbox (
    hand_off_id       TEXT    NOT NULL PRIMARY KEY,
    ticket_id         INTEGER NOT NULL,
    partner           TEXT    NOT NULL,
    status            TEXT    NOT NULL,
    attempts          INTEGER NOT NULL DEFAULT 0,
    next_attempt_at   INTEGER NOT NULL,
    last_error        TEXT,
    partner_ticket_id INTEGER,
    created_at        INTEGER NOT NULL,
    sent_at           INTEGER,
    lease_owner       TEXT,
    lease_until       INTEGER
);
CREATE INDEX linkage_outbox_due ON linkage_outbox (status, next_attempt_at);
CREATE INDEX linkage_outbox_ticket ON linkage_outbox (ticket_id);
