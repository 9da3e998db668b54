-- Fast paths of issue 8 (country scale). Gestione Utenze of a 20,000-line company in well
-- under a millisecond of SQL: the default page and its counts must read about a page of
-- rows, not the company.
--
-- 1. Counts per state, kept by the database itself: statement-level triggers add the net
--    change of each statement, so every path (import, web actions, bulk loads, manual SQL)
--    keeps them exact. `da_registrare` counts the lines without a user plus the users in
--    that state, as the page shows them.
-- 2. `users.holds_line`, kept by the same triggers: the users tied to no line of their
--    company (shown after the lines) come from a small partial index instead of an
--    anti-join over every user of the company.

CREATE TABLE roster_counts (
    company_id uuid NOT NULL REFERENCES companies(id),
    state      registration_state NOT NULL,
    n          bigint NOT NULL,
    PRIMARY KEY (company_id, state)
);

ALTER TABLE users ADD COLUMN holds_line boolean NOT NULL DEFAULT false;
UPDATE users u SET holds_line = true
WHERE EXISTS (SELECT 1 FROM mobile_lines l WHERE l.user_id = u.id);
CREATE INDEX users_lineless_idx ON users (company_id, mobile, lower(username))
    WHERE NOT holds_line;

INSERT INTO roster_counts (company_id, state, n)
SELECT company_id, state, sum(n) FROM (
    SELECT company_id, 'da_registrare'::registration_state AS state, count(*) AS n
    FROM mobile_lines WHERE user_id IS NULL GROUP BY company_id
    UNION ALL
    SELECT company_id, state, count(*) FROM users GROUP BY company_id, state
) counted
GROUP BY company_id, state;

-- The counts no longer scan lines without a user: one index less to write per line.
DROP INDEX mobile_lines_unassigned_idx;

-- Transition tables need one trigger per event; one function serves the three.
CREATE FUNCTION mobile_lines_roster_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        UPDATE users u SET holds_line = true
        FROM new_rows n WHERE n.user_id IS NOT NULL AND u.id = n.user_id AND NOT u.holds_line;
        INSERT INTO roster_counts AS c (company_id, state, n)
        SELECT company_id, 'da_registrare', count(*) FROM new_rows
        WHERE user_id IS NULL GROUP BY company_id
        ON CONFLICT (company_id, state) DO UPDATE SET n = c.n + excluded.n;
    ELSIF TG_OP = 'UPDATE' THEN
        -- A user holds at most one line (mobile_lines_one_line_per_user_key): one that
        -- lost its line in this statement holds none, unless it got another one in it.
        UPDATE users u SET holds_line = false
        FROM (SELECT user_id FROM old_rows WHERE user_id IS NOT NULL
              EXCEPT SELECT user_id FROM new_rows WHERE user_id IS NOT NULL) lost
        WHERE u.id = lost.user_id AND u.holds_line;
        UPDATE users u SET holds_line = true
        FROM new_rows n WHERE n.user_id IS NOT NULL AND u.id = n.user_id AND NOT u.holds_line;
        INSERT INTO roster_counts AS c (company_id, state, n)
        SELECT company_id, 'da_registrare', sum(d) FROM (
            SELECT company_id, 1 AS d FROM new_rows WHERE user_id IS NULL
            UNION ALL
            SELECT company_id, -1 FROM old_rows WHERE user_id IS NULL
        ) delta
        GROUP BY company_id HAVING sum(d) <> 0
        ON CONFLICT (company_id, state) DO UPDATE SET n = c.n + excluded.n;
    ELSE
        UPDATE users u SET holds_line = false
        FROM old_rows o WHERE o.user_id IS NOT NULL AND u.id = o.user_id AND u.holds_line;
        INSERT INTO roster_counts AS c (company_id, state, n)
        SELECT company_id, 'da_registrare', -count(*) FROM old_rows
        WHERE user_id IS NULL GROUP BY company_id
        ON CONFLICT (company_id, state) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER mobile_lines_roster_insert AFTER INSERT ON mobile_lines
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mobile_lines_roster_sync();
CREATE TRIGGER mobile_lines_roster_update AFTER UPDATE ON mobile_lines
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mobile_lines_roster_sync();
CREATE TRIGGER mobile_lines_roster_delete AFTER DELETE ON mobile_lines
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION mobile_lines_roster_sync();

CREATE FUNCTION users_roster_sync() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF TG_OP = 'INSERT' THEN
        INSERT INTO roster_counts AS c (company_id, state, n)
        SELECT company_id, state, count(*) FROM new_rows GROUP BY company_id, state
        ON CONFLICT (company_id, state) DO UPDATE SET n = c.n + excluded.n;
    ELSIF TG_OP = 'UPDATE' THEN
        -- Most updates (sessions, passwords, holds_line) leave the state alone: nothing
        -- to write then.
        INSERT INTO roster_counts AS c (company_id, state, n)
        SELECT company_id, state, sum(d) FROM (
            SELECT company_id, state, 1 AS d FROM new_rows
            UNION ALL
            SELECT company_id, state, -1 FROM old_rows
        ) delta
        GROUP BY company_id, state HAVING sum(d) <> 0
        ON CONFLICT (company_id, state) DO UPDATE SET n = c.n + excluded.n;
    ELSE
        INSERT INTO roster_counts AS c (company_id, state, n)
        SELECT company_id, state, -count(*) FROM old_rows GROUP BY company_id, state
        ON CONFLICT (company_id, state) DO UPDATE SET n = c.n + excluded.n;
    END IF;
    RETURN NULL;
END $$;

CREATE TRIGGER users_roster_insert AFTER INSERT ON users
    REFERENCING NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_roster_sync();
CREATE TRIGGER users_roster_update AFTER UPDATE ON users
    REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_roster_sync();
CREATE TRIGGER users_roster_delete AFTER DELETE ON users
    REFERENCING OLD TABLE AS old_rows
    FOR EACH STATEMENT EXECUTE FUNCTION users_roster_sync();

-- Servizio Clienti 191 search by mobile number (a prefix): a pattern-ops index serves both
-- the prefix and equality (the database collation is not "C", so a plain index serves
-- only equality and the prefix search scanned every user).
-- Each prefix index also carries the company id, so a common prefix ("andrea.b": 7,000
-- users) yields its first companies from the index alone, in index order, without
-- visiting the table.
CREATE INDEX users_mobile_prefix_idx ON users (mobile text_pattern_ops) INCLUDE (company_id)
    WHERE mobile IS NOT NULL;
DROP INDEX users_mobile_idx;
DROP INDEX users_email_prefix_idx;
CREATE INDEX users_email_prefix_idx ON users (lower(email) text_pattern_ops) INCLUDE (company_id);
DROP INDEX users_username_prefix_idx;
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops)
    INCLUDE (company_id);
DROP INDEX mobile_lines_number_prefix_idx;
CREATE INDEX mobile_lines_number_prefix_idx ON mobile_lines (number text_pattern_ops)
    INCLUDE (company_id);
DROP INDEX companies_vat_prefix_idx;
CREATE INDEX companies_vat_prefix_idx ON companies (vat_number text_pattern_ops) INCLUDE (id);
