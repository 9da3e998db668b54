-- Issue 14 (CONTRACT.md §3b): the events after the first contract — a line ceases or is
-- ported out, the legal representative changes, the company closes — and the erasure of a
-- closed company's personal data after RETENTION_DAYS.

-- One row per event a sales channel reported; event_id is the idempotency key, as
-- contract_id is for contracts. The row is claimed first, in the transaction of the
-- event's effect (a concurrent repeat waits on the key, then answers from the row), and
-- the answer given is kept so a repeat gets the very same one.
CREATE TABLE contract_events (
    event_id        text PRIMARY KEY,
    kind            text NOT NULL
        CHECK (kind IN ('cessazione_linea', 'rappresentante_legale', 'cessazione_azienda')),
    request_sha256  bytea NOT NULL,                -- detects a reused event_id with other data
    company_id      uuid REFERENCES companies(id), -- set with the answer
    channel         text NOT NULL DEFAULT '',
    status          smallint NOT NULL DEFAULT 200,
    response        jsonb,                         -- NULL only inside the claiming transaction
    created_at      timestamptz NOT NULL
);
CREATE INDEX contract_events_company_idx ON contract_events (company_id, created_at DESC);

-- Lines that left the company (ceased, ported out, or with the company's closure). The row
-- leaves mobile_lines, so Gestione Utenze, its counts (the triggers of 20261129000005), the
-- search and the support sheet no longer see it, and the number may be sold again; its
-- history stays here and in the audit.
CREATE TABLE ceased_lines (
    id                   uuid PRIMARY KEY,          -- the line's id while it was active
    company_id           uuid NOT NULL REFERENCES companies(id),
    contract_id          text NOT NULL REFERENCES contracts(contract_id),
    number               text,                      -- NULL once the company's data is erased
    user_id              uuid REFERENCES users(id), -- who was tied to it when it ceased
    referent_first_name  text,
    referent_last_name   text,
    referent_email       text,
    referent_profile     profile,
    created_at           timestamptz NOT NULL,
    ceased_at            timestamptz NOT NULL,
    reason               text NOT NULL
        CHECK (reason IN ('cessazione', 'portabilita_uscente', 'cessazione_azienda')),
    event_id             text NOT NULL
);
CREATE INDEX ceased_lines_company_idx ON ceased_lines (company_id, ceased_at DESC);

-- Handovers of the legal representative: support sees the last one, with its event id, and
-- that it is pending while the new one has not activated.
CREATE TABLE legal_representative_changes (
    event_id          text PRIMARY KEY REFERENCES contract_events(event_id),
    company_id        uuid NOT NULL REFERENCES companies(id),
    previous_user_id  uuid REFERENCES users(id),
    new_user_id       uuid NOT NULL REFERENCES users(id),
    previous_becomes  text NOT NULL CHECK (previous_becomes IN ('amministratore_full', 'disabilitato')),
    created_at        timestamptz NOT NULL
);
CREATE INDEX legal_representative_changes_company_idx
    ON legal_representative_changes (company_id, created_at DESC);

-- A closed company stays (support still sees it); a later first contract with the same
-- Partita IVA opens a new, clean company, so the VAT number is unique among open ones only.
ALTER TABLE companies
    ADD COLUMN closed_at timestamptz,
    ADD COLUMN closed_event_id text,
    ADD COLUMN erased_at timestamptz;
ALTER TABLE companies DROP CONSTRAINT companies_vat_number_key;
CREATE UNIQUE INDEX companies_open_vat_key ON companies (vat_number) WHERE closed_at IS NULL;
-- The worker's look for companies whose retention period is over.
CREATE INDEX companies_to_erase_idx ON companies (closed_at)
    WHERE closed_at IS NOT NULL AND erased_at IS NULL;

-- The users of a closed company are retired: disabled for good, and their usernames free
-- for the reopened company (or anyone else). Unique among the others only.
ALTER TABLE users ADD COLUMN retired_at timestamptz;
DROP INDEX users_username_lower_key;
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username)) WHERE retired_at IS NULL;

-- The audit trail stays append-only, with one exception: the erasure of a closed company's
-- personal data, which the worker announces with `SET LOCAL area_clienti.erasure = 'on'`
-- and which may change only what a row says (details, labels, addresses), never which
-- event it is, whose, or when.
CREATE OR REPLACE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'UPDATE'
       AND current_setting('area_clienti.erasure', true) = 'on'
       AND NEW.id = OLD.id AND NEW.company_id = OLD.company_id AND NEW.action = OLD.action
       AND NEW.created_at = OLD.created_at
       AND NEW.actor_user_id IS NOT DISTINCT FROM OLD.actor_user_id
       AND NEW.subject_user_id IS NOT DISTINCT FROM OLD.subject_user_id
       AND NEW.staff_user_id IS NOT DISTINCT FROM OLD.staff_user_id
       AND EXISTS (SELECT 1 FROM companies c WHERE c.id = OLD.company_id AND c.closed_at IS NOT NULL)
    THEN
        RETURN NEW;
    END IF;
    RAISE EXCEPTION 'audit_events is append-only';
END $$;
