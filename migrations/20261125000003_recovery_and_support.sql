-- Recovery, credential resend and the Servizio Clienti 191 console.

-- Support staff: separate accounts, never customers.
CREATE TABLE staff_users (
    id             uuid PRIMARY KEY,
    username       text NOT NULL,
    password_hash  text NOT NULL,
    created_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX staff_users_username_lower_key ON staff_users (lower(username));

-- Sliding-window limits (recovery and resend emails per address and per account), kept in
-- PostgreSQL so they hold across instances. Old rows are pruned as new ones arrive.
CREATE TABLE rate_limit_events (
    key         text NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX rate_limit_events_key_idx ON rate_limit_events (key, created_at);

-- Support search over 100,000 companies: trigram for names, prefixes for the rest.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX companies_name_trgm_idx ON companies USING gin (lower(name) gin_trgm_ops);
CREATE INDEX companies_vat_prefix_idx ON companies (vat_number text_pattern_ops);
CREATE INDEX users_username_prefix_idx ON users (lower(username) text_pattern_ops);
CREATE INDEX users_email_prefix_idx ON users (lower(email) text_pattern_ops);
CREATE INDEX mobile_lines_number_prefix_idx ON mobile_lines (number text_pattern_ops);
CREATE INDEX users_mobile_idx ON users (mobile) WHERE mobile IS NOT NULL;

-- The daily cap of verification codes per company counts by company and time.
CREATE INDEX verification_codes_company_idx ON verification_codes (company_id, created_at);

-- Audit events by support staff name the staff user.
ALTER TABLE audit_events ADD COLUMN staff_user_id uuid REFERENCES staff_users(id);
