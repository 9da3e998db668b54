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

-- PL/pgSQL plans the count afresh at each call (its custom plans looked cheaper than the
-- generic one, which is the same index scan): 0.1 ms of planning a call, twice a login.
ALTER FUNCTION rate_limit_lock_and_count(text[], float8[]) SET plan_cache_mode = force_generic_plan;
