-- Keys every instance of the portal must share, made once by the first instance to start
-- (`db::secrets`). The first: the HMAC key that signs the CSRF cookie of visitors who have
-- no session yet, so an anonymous form page writes no session row (issue 13).
CREATE TABLE portal_secrets (
    name text PRIMARY KEY,
    secret bytea NOT NULL CHECK (octet_length(secret) >= 32),
    created_at timestamptz NOT NULL DEFAULT now()
);
