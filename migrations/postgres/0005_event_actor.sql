-- The audit trail: every event names who made the change, the unit and the person acting
-- for it. The service refuses a command without both; this keeps any other writer from
-- adding an anonymous event. (The log is append-only since 0001: triggers there refuse
-- UPDATE, DELETE and TRUNCATE on ticket_events.)
--
-- NOT VALID: rows already stored are not rescanned (a large log would be locked while
-- they were); every new row is checked.
ALTER TABLE ticket_events ADD CONSTRAINT ticket_events_name_the_actor
    CHECK (btrim(actor_unit) <> '' AND btrim(actor_person) <> '') NOT VALID;
