-- The Registro attività (issue 15) reads a company's events newest first, a page at a time,
-- with an order that is stable among the events of one transaction (they share created_at):
-- (company_id, created_at DESC, id DESC) serves it, and everything the index it replaces
-- served (its prefix is the same).
CREATE INDEX audit_events_company_time_idx ON audit_events (company_id, created_at DESC, id DESC);
DROP INDEX audit_events_company_idx;

-- Its filter by person: the events where a user acted or was acted on, read from these two
-- instead of walking the whole company's trail. Events by nobody in particular (system,
-- visitors) stay out of the actor's index.
CREATE INDEX audit_events_subject_time_idx ON audit_events (company_id, subject_user_id, created_at DESC)
    WHERE subject_user_id IS NOT NULL;
CREATE INDEX audit_events_actor_time_idx ON audit_events (company_id, actor_user_id, created_at DESC)
    WHERE actor_user_id IS NOT NULL;
