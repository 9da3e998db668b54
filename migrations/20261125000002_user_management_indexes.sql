-- Gestione Utenze: finding the line of a user (listing users without a line, unassigning).
CREATE INDEX mobile_lines_user_idx ON mobile_lines (company_id, user_id) WHERE user_id IS NOT NULL;
