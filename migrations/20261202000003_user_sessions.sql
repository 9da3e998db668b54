-- Sessions a customer sees and ends (CONTRACT.md §4b, issue 12), and the browsers their
-- logins came from ("Nuovo accesso al tuo account").
--
-- One row per login, keyed by a random id kept in the tower-sessions record
-- (`SessionAuth.key`): the store's own session id is cycled at login and only known once
-- the response is saved, and is a secret besides. Each request checks that its row is not
-- ended, in the same query that reloads the user.
CREATE TABLE user_sessions (
    id            uuid PRIMARY KEY,
    user_id       uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    -- The user's session_epoch at login: a password change or a disable bumps it, and the
    -- session no longer holds, so lists only show rows of the current epoch.
    epoch         integer NOT NULL,
    -- As the browser sent it, control characters removed and cut to 512 characters; pages
    -- and e-mails show only the browser and system names read from it.
    user_agent    text NOT NULL,
    client_addr   text,
    created_at    timestamptz NOT NULL,
    -- Pushed forward by the once-a-minute keep-alive that also pushes the idle expiry.
    last_seen_at  timestamptz NOT NULL,
    ended_at      timestamptz
);
CREATE INDEX user_sessions_user ON user_sessions (user_id, last_seen_at DESC);

-- Browsers a user logged in from: SHA-256 of the user id and the random id of the
-- browser's long-lived cookie (never the id itself, so the table cannot forge a cookie).
CREATE TABLE known_browsers (
    user_id         uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    browser_sha256  bytea NOT NULL,
    first_seen_at   timestamptz NOT NULL,
    last_seen_at    timestamptz NOT NULL,
    PRIMARY KEY (user_id, browser_sha256)
);

-- "Ultimi accessi" on Sicurezza reads a user's last 20 login events.
CREATE INDEX audit_events_accesses ON audit_events (subject_user_id, id DESC)
    WHERE action IN ('accesso', 'accesso_fallito', 'secondo_fattore_errato');
