-- Servizio Clienti 191 staff logins are audited too (issue 11). audit_events is the trail of
-- a company (company_id NOT NULL, shown on the company's pages), and a staff login belongs
-- to no company, so staff events get their own append-only table instead of a nullable
-- company_id that every company query would have to remember to exclude.
CREATE TABLE staff_events (
    id             bigserial PRIMARY KEY,
    staff_user_id  uuid NOT NULL REFERENCES staff_users(id),
    action         text NOT NULL,               -- an AuditAction name, e.g. 'assistenza_accesso'
    client_addr    text,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX staff_events_staff_idx ON staff_events (staff_user_id, created_at DESC);

CREATE FUNCTION staff_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'staff_events is append-only';
END $$;
CREATE TRIGGER staff_events_no_update BEFORE UPDATE OR DELETE ON staff_events
    FOR EACH ROW EXECUTE FUNCTION staff_events_append_only();
