-- The login throttle's steps in one round trip each (issue 12: a login's statements).
-- A login reserved its attempt in five statements (BEGIN, the advisory locks, the counts,
-- the insert, COMMIT) and checked a typed code in two; these functions do the same work in
-- one call. They are VOLATILE PL/pgSQL, so under READ COMMITTED each statement inside sees
-- everything committed before it began: the counts, taken after the locks, see every
-- attempt of whoever held them before.

-- Locks the first key (an account) until the end of the caller's transaction, then counts
-- each key's events in its own window (seconds) and how long ago the latest was, in the
-- order given. The other keys (a client address) are counted without a lock: an address is
-- shared by everyone behind one NAT, and a lock on it made all their logins wait for each
-- other (in the benchmark, 12 ms a login); parallel attempts from one address may pass its
-- limit by as many as run at once, while an account's attempts are serialised.
CREATE FUNCTION rate_limit_lock_and_count(keys text[], windows float8[])
RETURNS TABLE (failures bigint, last_ago float8)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(keys[1], 0));
    RETURN QUERY
        SELECT count(e.key), extract(epoch FROM now() - max(e.created_at))::float8
        FROM unnest(keys, windows) WITH ORDINALITY AS w(key, secs, n)
        LEFT JOIN rate_limit_events e
               ON e.key = w.key AND e.created_at > now() - make_interval(secs => w.secs)
        GROUP BY w.n ORDER BY w.n;
END
$$;

-- The same, then one event recorded on each key (and events older than a day forgotten):
-- an attempt reserved before it is made. The caller takes it back when the counts say the
-- attempt may not be made.
CREATE FUNCTION rate_limit_reserve(keys text[], windows float8[])
RETURNS TABLE (failures bigint, last_ago float8)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN QUERY SELECT * FROM rate_limit_lock_and_count(keys, windows);
    DELETE FROM rate_limit_events
    WHERE key = ANY (keys) AND created_at < now() - interval '1 day';
    INSERT INTO rate_limit_events (key) SELECT unnest(keys);
END
$$;
