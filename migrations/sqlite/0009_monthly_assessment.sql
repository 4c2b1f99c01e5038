-- The monthly assessment (GetAssessment) reads a month of two kinds of incidents held
-- against a unit: the overdue warnings that fell in it and the returns (退单) the centre
-- reviewed in it. Both partial indexes hold only those rows, so a month is one range read,
-- never a scan of the whole log.
CREATE INDEX deadline_alerts_overdue ON deadline_alerts (reached_at) WHERE level = 'overdue';
CREATE INDEX ticket_events_review_return ON ticket_events (at) WHERE command = 'review_return';
