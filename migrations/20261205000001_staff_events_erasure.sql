-- The trail of Servizio Clienti 191 (staff_events) names the people an operator acted for:
-- a message sent again from the company sheet records the e-mail it went to. The erasure of
-- a closed company's personal data after RETENTION_DAYS (migration 20261204000001) must
-- reach those details too, so an event about a company's user now says which company and
-- which user, and the erasure may scrub its details as it does those of audit_events.
ALTER TABLE staff_events
    ADD COLUMN company_id uuid REFERENCES companies(id),
    ADD COLUMN subject_user_id uuid REFERENCES users(id);
CREATE INDEX staff_events_company_idx ON staff_events (company_id) WHERE company_id IS NOT NULL;

-- Events written before this migration: the re-queued message names its company and user.
-- A one-off correction of the trail's own keys, so the append-only trigger steps aside for
-- this statement alone.
ALTER TABLE staff_events DISABLE TRIGGER staff_events_no_update;
UPDATE staff_events e SET company_id = o.company_id, subject_user_id = o.user_id
FROM outbox o
WHERE e.details ? 'messaggio' AND o.id::text = e.details->>'messaggio';
ALTER TABLE staff_events ENABLE TRIGGER staff_events_no_update;

-- Append-only, with the exception audit_events has: the erasure of a closed company
-- (`SET LOCAL area_clienti.erasure = 'on'`) may change the details of its events, never
-- which event it is, whose, about whom, from where or when.
CREATE OR REPLACE FUNCTION staff_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('area_clienti.erasure', true) = 'on'
       AND NEW.id = OLD.id AND NEW.staff_user_id = OLD.staff_user_id
       AND NEW.action = OLD.action AND NEW.created_at = OLD.created_at
       AND NEW.client_addr IS NOT DISTINCT FROM OLD.client_addr
       AND NEW.company_id IS NOT DISTINCT FROM OLD.company_id
       AND NEW.subject_user_id IS NOT DISTINCT FROM OLD.subject_user_id
       AND EXISTS (SELECT 1 FROM companies c WHERE c.id = OLD.company_id AND c.closed_at IS NOT NULL)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'staff_events is append-only';
END $$;
