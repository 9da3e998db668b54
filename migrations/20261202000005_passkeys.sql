-- Passkeys (WebAuthn, CONTRACT.md §4b): discoverable credentials with user verification.
-- Like the app, each belongs to a customer user or to a Servizio Clienti operator.

CREATE TABLE passkeys (
    id             uuid PRIMARY KEY,
    user_id        uuid REFERENCES users(id) ON DELETE CASCADE,
    staff_id       uuid REFERENCES staff_users(id) ON DELETE CASCADE,
    -- The authenticator's credential id: how a usernameless login finds its passkey.
    credential_id  bytea NOT NULL UNIQUE,
    -- webauthn-rs' `Passkey` (public key, counter, backup state): no secret in it.
    passkey        jsonb NOT NULL,
    -- The name the user gave it ("Telefono di lavoro"), shown in Sicurezza.
    name           text NOT NULL,
    created_at     timestamptz NOT NULL,
    last_used_at   timestamptz,
    CHECK (num_nonnulls(user_id, staff_id) = 1)
);
CREATE INDEX passkeys_user_id ON passkeys (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX passkeys_staff_id ON passkeys (staff_id) WHERE staff_id IS NOT NULL;
