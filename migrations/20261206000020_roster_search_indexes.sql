-- Gestione Utenze's search inside one company (issue 16): a fragment of a number, a name,
-- an e-mail or a username is looked up in trigram indexes that carry the company, instead
-- of being tested against every row of the company (20,000 for the largest).
-- pg_trgm and btree_gin are trusted extensions (PostgreSQL 13+): the database's owner may
-- create them. btree_gin lets one GIN index hold the company next to the trigrams, so a
-- lookup reads the company's entries only.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE EXTENSION IF NOT EXISTS btree_gin;

-- The digits of a stored E.164 number, what a typed fragment is matched against. The index
-- is on this expression, not on `number` itself: gin_trgm_ops also answers `=`, and the
-- planner would then pick it for the exact lookups of the import and of the contracts.
CREATE FUNCTION number_digits(number text) RETURNS text
    LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
    RETURN ltrim(number, '+');

-- GIN's pending list (fastupdate, the default) batches the entries of a large import; a
-- search reads it too, at most gin_pending_list_limit (4 MB) before it is merged.
CREATE INDEX mobile_lines_digits_trgm_idx ON mobile_lines
    USING gin (company_id, number_digits(number) gin_trgm_ops);

-- Users by a fragment of any of the fields the list searches, lower-cased in one text:
-- `db::roster` writes exactly this expression, then checks each field on its own.
CREATE INDEX users_roster_search_trgm_idx ON users
    USING gin (company_id, lower(username || ' ' || email || ' ' || first_name || ' ' || last_name) gin_trgm_ops);
