-- The knowledge base (知识库): entries and their append-only version history.
--
-- `body` holds the latest content as JSON; the other columns are projections for
-- filtering. Every change appends one knowledge_versions row with the content as it then
-- stood; `published_version` names the row whose content answers callers. Instants are
-- Unix epoch milliseconds (UTC).

CREATE TABLE knowledge_entries (
    id                INTEGER PRIMARY KEY AUTOINCREMENT,
    version           INTEGER NOT NULL,
    status            TEXT    NOT NULL,
    owner_unit        TEXT    NOT NULL,
    category          TEXT    NOT NULL,
    region            TEXT    NOT NULL,
    published_version INTEGER,
    reviewed_at       INTEGER,
    created_at        INTEGER NOT NULL,
    updated_at        INTEGER NOT NULL,
    body              TEXT    NOT NULL
);

CREATE INDEX knowledge_entries_by_owner ON knowledge_entries (owner_unit, id);
CREATE INDEX knowledge_entries_live ON knowledge_entries (id) WHERE published_version IS NOT NULL;

CREATE TABLE knowledge_versions (
    entry_id     INTEGER NOT NULL REFERENCES knowledge_entries (id),
    version      INTEGER NOT NULL,
    action       TEXT    NOT NULL,
    status       TEXT    NOT NULL,
    actor_unit   TEXT    NOT NULL,
    actor_person TEXT    NOT NULL,
    at           INTEGER NOT NULL,
    note         TEXT    NOT NULL,
    content      TEXT    NOT NULL,
    PRIMARY KEY (entry_id, version)
);
