-- Area Clienti: initial schema.
--
-- Every tenant table carries company_id so that queries are always scoped to one company
-- and the schema can later be distributed by it. Secrets (link tokens, verification codes)
-- are stored only as SHA-256 hashes.

CREATE TABLE companies (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    vat_number  text NOT NULL UNIQUE,          -- 11 digits, no "IT" prefix: the company's identity
    tax_code    text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- One row per purchase reported by a sales channel; contract_id is the idempotency key.
-- The response given the first time is kept so a retry gets the very same answer.
CREATE TABLE contracts (
    contract_id                   text PRIMARY KEY,
    company_id                    uuid NOT NULL REFERENCES companies(id),
    channel                       text NOT NULL,
    request_sha256                bytea NOT NULL,  -- detects a reused contract_id with other data
    legal_representative_user_id  uuid NOT NULL,
    lines_added                   integer NOT NULL,
    created_at                    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contracts_company_idx ON contracts (company_id);

CREATE TYPE profile AS ENUM
    ('rappresentante_legale', 'amministratore_full', 'amministratore_light', 'utilizzatore');
CREATE TYPE registration_state AS ENUM ('da_registrare', 'in_attesa', 'attivo', 'disabilitato');

CREATE TABLE users (
    id                 uuid PRIMARY KEY,
    company_id         uuid NOT NULL REFERENCES companies(id),
    username           text NOT NULL,
    email              text NOT NULL,
    mobile             text,                     -- E.164; NULL means codes go by email
    first_name         text NOT NULL DEFAULT '',
    last_name          text NOT NULL DEFAULT '',
    profile            profile NOT NULL,
    state              registration_state NOT NULL,
    password_hash      text,                     -- Argon2id PHC string; NULL until activation
    -- Bumped whenever existing sessions must die (password change, disable): a session
    -- remembers the epoch it was opened in and is refused once they differ.
    session_epoch      integer NOT NULL DEFAULT 0,
    created_at         timestamptz NOT NULL DEFAULT now(),
    activated_at       timestamptz
);
-- Usernames are unique across the portal, compared case-insensitively.
CREATE UNIQUE INDEX users_username_lower_key ON users (lower(username));
CREATE INDEX users_company_idx ON users (company_id);
CREATE INDEX users_email_lower_idx ON users (lower(email));
-- Exactly one legal representative per company.
CREATE UNIQUE INDEX users_one_legal_representative_key ON users (company_id)
    WHERE profile = 'rappresentante_legale';

CREATE TABLE mobile_lines (
    id                    uuid PRIMARY KEY,
    company_id            uuid NOT NULL REFERENCES companies(id),
    contract_id           text NOT NULL REFERENCES contracts(contract_id),
    number                text NOT NULL UNIQUE,  -- E.164; a number belongs to one company
    user_id               uuid REFERENCES users(id),
    referent_first_name   text,
    referent_last_name    text,
    referent_email        text,
    referent_profile      profile,
    created_at            timestamptz NOT NULL DEFAULT now(),
    CHECK (referent_profile IS DISTINCT FROM 'rappresentante_legale')
);
CREATE INDEX mobile_lines_company_idx ON mobile_lines (company_id, number);

CREATE TYPE credential_purpose AS ENUM ('activation', 'recovery');

-- Emailed links. A link is dead once used, superseded by a newer email, or expired.
CREATE TABLE credential_tokens (
    id                uuid PRIMARY KEY,
    company_id        uuid NOT NULL REFERENCES companies(id),
    user_id           uuid NOT NULL REFERENCES users(id),
    purpose           credential_purpose NOT NULL,
    token_sha256      bytea NOT NULL UNIQUE,
    created_at        timestamptz NOT NULL DEFAULT now(),
    expires_at        timestamptz NOT NULL,
    code_verified_at  timestamptz,              -- the password step is open only after this
    used_at           timestamptz,
    superseded_at     timestamptz
);
CREATE INDEX credential_tokens_user_idx ON credential_tokens (user_id, created_at);

-- Verification codes sent by SMS (or email), each tied to the link it unlocks.
CREATE TABLE verification_codes (
    id              uuid PRIMARY KEY,
    company_id      uuid NOT NULL REFERENCES companies(id),
    user_id         uuid NOT NULL REFERENCES users(id),
    token_id        uuid NOT NULL REFERENCES credential_tokens(id),
    code_sha256     bytea NOT NULL,             -- sha256(id || code): salted by the row id
    created_at      timestamptz NOT NULL DEFAULT now(),
    expires_at      timestamptz NOT NULL,
    failed_attempts integer NOT NULL DEFAULT 0,
    used_at         timestamptz,
    superseded_at   timestamptz
);
CREATE INDEX verification_codes_token_idx ON verification_codes (token_id, created_at);
CREATE INDEX verification_codes_user_idx ON verification_codes (user_id, created_at);

CREATE TYPE message_channel AS ENUM ('email', 'sms');
CREATE TYPE message_state AS ENUM ('queued', 'sent', 'failed');

-- Transactional outbox: a message is written in the same transaction as the change that
-- causes it and delivered by the worker. The body (which may hold a link or a code) is
-- erased once the message is sent or has failed for good.
CREATE TABLE outbox (
    id               uuid PRIMARY KEY,           -- also the idempotency key sent to gateways
    company_id       uuid NOT NULL REFERENCES companies(id),
    user_id          uuid REFERENCES users(id),
    channel          message_channel NOT NULL,
    recipient        text NOT NULL,
    template         text NOT NULL,
    subject          text,
    body_text        text,
    body_html        text,
    state            message_state NOT NULL DEFAULT 'queued',
    attempts         integer NOT NULL DEFAULT 0,
    -- When the worker may next look at it; claiming a message pushes this forward by a
    -- lease, so a worker that dies mid-delivery leaves it to be retried, never lost.
    next_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_error       text,
    created_at       timestamptz NOT NULL DEFAULT now(),
    sent_at          timestamptz
);
CREATE INDEX outbox_due_idx ON outbox (next_attempt_at) WHERE state = 'queued';
CREATE INDEX outbox_user_idx ON outbox (user_id, created_at);
CREATE INDEX outbox_company_idx ON outbox (company_id, created_at);

-- Append-only trail of credential events and administrative actions.
CREATE TABLE audit_events (
    id              bigserial PRIMARY KEY,
    company_id      uuid NOT NULL REFERENCES companies(id),
    actor_user_id   uuid REFERENCES users(id),
    actor_label     text NOT NULL,               -- 'sistema', a username, 'assistenza:<staff>'
    subject_user_id uuid REFERENCES users(id),
    action          text NOT NULL,
    details         jsonb NOT NULL DEFAULT '{}',
    client_addr     text,
    created_at      timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_events_company_idx ON audit_events (company_id, created_at DESC);

CREATE FUNCTION audit_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_events is append-only';
END $$;
CREATE TRIGGER audit_events_no_update BEFORE UPDATE OR DELETE ON audit_events
    FOR EACH ROW EXECUTE FUNCTION audit_events_append_only();

-- Messages delivered to the development mailbox (only when a transport is in dev mode).
CREATE TABLE dev_mailbox (
    id          uuid PRIMARY KEY,
    channel     message_channel NOT NULL,
    recipient   text NOT NULL,
    subject     text,
    body_text   text NOT NULL,
    body_html   text,
    created_at  timestamptz NOT NULL DEFAULT now()
);

-- Server-side sessions, in the layout tower-sessions-sqlx-store expects.
CREATE SCHEMA IF NOT EXISTS tower_sessions;
CREATE TABLE IF NOT EXISTS tower_sessions.session (
    id           text PRIMARY KEY NOT NULL,
    data         bytea NOT NULL,
    expiry_date  timestamptz NOT NULL
);
