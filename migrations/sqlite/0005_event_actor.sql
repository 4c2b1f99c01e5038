-- The audit trail: every event names who made the change, the unit and the person acting
-- for it. The service refuses a command without both; this keeps any other writer from
-- adding an anonymous event. (The log is append-only since 0001: triggers there refuse
-- UPDATE and DELETE on ticket_events.)
CREATE TRIGGER ticket_events_name_the_actor BEFORE INSERT ON ticket_events
WHEN trim(NEW.actor_unit) = '' OR trim(NEW.actor_person) = ''
BEGIN
    SELECT RAISE(ABORT, 'ticket_events_name_the_actor: an event must name its actor (unit and person)');
END;
