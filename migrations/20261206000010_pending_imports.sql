-- CSV import of employees in Gestione Utenze (CONTRACT.md §4c, issue 15).
--
-- The upload shows a preview and writes nothing but this row: the file's rows as typed,
-- kept server-side so the confirm form carries only the id. The confirmation checks the
-- rows again and adds the valid ones in one transaction; it is accepted once (`used_at`),
-- only from the user who uploaded the file, within `expires_at` (30 minutes).
CREATE TABLE pending_imports (
    id          uuid PRIMARY KEY,              -- random (v4): the confirm form's hidden field
    company_id  uuid NOT NULL REFERENCES companies(id) ON DELETE CASCADE,
    user_id     uuid NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    rows        jsonb NOT NULL,                -- [{line, mobile, email, username, profile, ...}]
    created_at  timestamptz NOT NULL,
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz                    -- set by the confirmation; a second one does nothing
);

-- Expired previews hold personal data nobody can confirm any more: each new upload deletes
-- them (rows older than `expires_at`), through this index; the erasure of a closed company
-- (contracts::events::retention) deletes the company's.
CREATE INDEX pending_imports_expires_at_idx ON pending_imports (expires_at);
