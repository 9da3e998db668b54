-- Issue 12 (CONTRACT.md §4b): lost factors, and contacts proven before they count.

-- The emailed link a user gets after their factors were reset: it continues like
-- activation (a code by SMS, or by e-mail without a mobile) and then logs the user in only
-- to enrol a new factor. Not used in this migration (a new enum value cannot be used in
-- the transaction that adds it).
ALTER TYPE credential_purpose ADD VALUE 'reenrolment';

-- Set when the legal representative or support reset the user's factors; cleared once the
-- user proved themself again with link + code (that link, or Recupera Password). While it
-- is set a password alone never enrols a new factor.
ALTER TABLE users ADD COLUMN factors_reset_at timestamptz;

-- A new own e-mail or mobile waits here until it is proven: a 6-digit code sent by SMS to
-- the new number, or a link sent to the new address. Until then `users` keeps the old one,
-- and every login, code and e-mail uses it. Only hashes of codes and link tokens are kept.
CREATE TABLE pending_contact_changes (
    id               uuid PRIMARY KEY,
    company_id       uuid NOT NULL REFERENCES companies(id),
    user_id          uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    kind             text NOT NULL CHECK (kind IN ('email', 'mobile')),
    -- The new address or E.164 number, as parsed by the portal.
    value            text NOT NULL,
    -- mobile: SHA-256(id ‖ code); email: SHA-256(link token).
    secret_sha256    bytea NOT NULL UNIQUE,
    failed_attempts  integer NOT NULL DEFAULT 0,
    created_at       timestamptz NOT NULL,
    expires_at       timestamptz NOT NULL,
    -- Confirmed, cancelled, replaced by a newer request, or burnt by wrong codes.
    closed_at        timestamptz,
    closed_as        text CHECK (closed_as IN ('confermata', 'annullata', 'sostituita', 'esaurita')),
    CHECK ((closed_at IS NULL) = (closed_as IS NULL))
);
-- At most one open change of each kind per user.
CREATE UNIQUE INDEX pending_contact_changes_open
    ON pending_contact_changes (user_id, kind) WHERE closed_at IS NULL;
