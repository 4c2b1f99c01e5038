-- Finding the open ticket a repeated request belongs to (并单): by a pseudonym of the
-- requester's phone number (never the number itself) and the category.
ALTER TABLE tickets ADD COLUMN requester_key TEXT;

CREATE INDEX tickets_requester_open ON tickets (requester_key, category, created_at)
    WHERE requester_key IS NOT NULL
      AND state NOT IN ('closed', 'archived', 'transferred', 'refused', 'merged');
