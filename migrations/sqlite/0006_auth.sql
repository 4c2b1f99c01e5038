-- API tokens: the daemon's callers. Only the SHA-256 of a secret is kept (the secret is
-- shown once, when made); `hint` is its last four characters, so people can tell tokens
-- apart. A revoked token stays, for the audit trail that names it.
CREATE TABLE api_tokens (
    id          INTEGER PRIMARY KEY AUTOINCREMENT,
    name        TEXT    NOT NULL UNIQUE,
    -- agent, unit, centre or admin; `unit` names the unit of a unit token.
    role        TEXT    NOT NULL CHECK (role IN ('agent', 'unit', 'centre', 'admin')),
    unit        TEXT,
    secret_hash TEXT    NOT NULL UNIQUE,
    hint        TEXT    NOT NULL,
    created_at  INTEGER NOT NULL,
    revoked_at  INTEGER,
    CHECK ((role = 'unit') = (unit IS NOT NULL))
);

-- Every event names the principal (the token) that made the change, besides the actor it
-- acted as. Events written before this migration are marked 'legacy'; the append-only
-- triggers of 0001 still refuse any UPDATE or DELETE.
ALTER TABLE ticket_events ADD COLUMN principal TEXT NOT NULL DEFAULT 'legacy';

CREATE TRIGGER ticket_events_name_the_principal BEFORE INSERT ON ticket_events
WHEN trim(NEW.principal) = ''
BEGIN
    SELECT RAISE(ABORT, 'ticket_events_name_the_principal: an event must name its principal');
END;
