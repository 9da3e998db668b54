-- A login's attempt is reserved on the account only (issue 12). Reserving it on the client
-- address too made every login from one address insert and then delete a row under one key,
-- and counting that key walked the churn: in the benchmark (every login from 127.0.0.1) the
-- reservation took 0.39 ms a call and the second step's count 0.23 ms. An address now
-- records its failures once the check has failed (`auth::throttle::password_failed`); its
-- count is still checked before the attempt. Parallel attempts from one address could
-- already pass its limit by as many as run at once (it is never locked): that stays so.
CREATE OR REPLACE FUNCTION rate_limit_reserve(keys text[], windows float8[])
RETURNS TABLE (failures bigint, last_ago float8)
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
    RETURN QUERY SELECT * FROM rate_limit_lock_and_count(keys, windows);
    DELETE FROM rate_limit_events
    WHERE key = keys[1] AND created_at < now() - interval '1 day';
    INSERT INTO rate_limit_events (key) VALUES (keys[1]);
END
$$;

-- The count, written so that its generic plan is the index scan per key (LATERAL): PL/pgSQL
-- planned the join afresh at each call (0.1 ms, twice a login), and the join's generic plan
-- was a hash join over the whole table. The generic plan is kept.
CREATE OR REPLACE FUNCTION rate_limit_lock_and_count(keys text[], windows float8[])
RETURNS TABLE (failures bigint, last_ago float8)
LANGUAGE plpgsql VOLATILE
SET plan_cache_mode = force_generic_plan AS $$
BEGIN
    PERFORM pg_advisory_xact_lock(hashtextextended(keys[1], 0));
    RETURN QUERY
        SELECT counted.failures, counted.last_ago
        FROM unnest(keys, windows) WITH ORDINALITY AS w(key, secs, n)
        CROSS JOIN LATERAL (
            SELECT count(*) AS failures,
                   extract(epoch FROM now() - max(e.created_at))::float8 AS last_ago
            FROM rate_limit_events e
            WHERE e.key = w.key AND e.created_at > now() - make_interval(secs => w.secs)
        ) AS counted
        ORDER BY w.n;
END
$$;
