-- Servizio Clienti 191 operators log in with a second factor (CONTRACT.md §4b).

-- Like users.session_epoch: a staff session remembers the epoch at login and ends when it
-- changes. `staff disable` and `staff reset-factors` bump it, so the operator's open
-- sessions (and pending logins) end at their next request, whatever browser holds them.
ALTER TABLE staff_users ADD COLUMN session_epoch integer NOT NULL DEFAULT 0;

-- What a staff event needs beyond its action, e.g. which factor proved a login
-- ({"fattore": "app"}), as audit_events.details does for customers.
ALTER TABLE staff_events ADD COLUMN details jsonb NOT NULL DEFAULT '{}';
