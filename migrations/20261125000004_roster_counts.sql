-- Gestione Utenze counts without a search come from two small aggregates instead of the
-- whole roster: lines without a user, and users by state. Exact only if a user holds at
-- most one line, which is the product rule ("the employee's SIM"): enforce it.
CREATE UNIQUE INDEX mobile_lines_one_line_per_user_key ON mobile_lines (user_id) WHERE user_id IS NOT NULL;
CREATE INDEX mobile_lines_unassigned_idx ON mobile_lines (company_id) WHERE user_id IS NULL;
CREATE INDEX users_company_state_idx ON users (company_id, state);
