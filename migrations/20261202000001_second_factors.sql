-- Second factors (CONTRACT.md §4b): an authenticator app (TOTP) and single-use recovery
-- codes. Each belongs to a customer user or to a Servizio Clienti operator, never both.

CREATE TABLE authenticator_apps (
    id          uuid PRIMARY KEY,
    user_id     uuid UNIQUE REFERENCES users(id) ON DELETE CASCADE,
    staff_id    uuid UNIQUE REFERENCES staff_users(id) ON DELETE CASCADE,
    -- The raw RFC 6238 secret (20 bytes). Never logged, never shown again after enrolment.
    secret      bytea NOT NULL,
    -- The last 30-second step whose code was accepted: a code (and any older one) is
    -- accepted once.
    last_step   bigint,
    created_at  timestamptz NOT NULL,
    CHECK (num_nonnulls(user_id, staff_id) = 1)
);

CREATE TABLE recovery_codes (
    id           uuid PRIMARY KEY,
    user_id      uuid REFERENCES users(id) ON DELETE CASCADE,
    staff_id     uuid REFERENCES staff_users(id) ON DELETE CASCADE,
    -- SHA-256 of the owner id and the normalised code (50 random bits each).
    code_sha256  bytea NOT NULL,
    used_at      timestamptz,
    created_at   timestamptz NOT NULL,
    CHECK (num_nonnulls(user_id, staff_id) = 1)
);
CREATE INDEX recovery_codes_user_id ON recovery_codes (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX recovery_codes_staff_id ON recovery_codes (staff_id) WHERE staff_id IS NOT NULL;

-- `area-clienti staff disable`: the operator can no longer log in and every open session
-- ends at its next request (each request reloads the operator).
ALTER TABLE staff_users ADD COLUMN disabled_at timestamptz;
