-- Outages of hours (issue 13): a message is retried until it no longer makes sense, not
-- for a fixed number of attempts. Its horizon is the expiry of the link or code it carries
-- (`expires_at`, on the portal's clock, as the link itself); a notice without either
-- (NULL) is worth 48 hours in the queue. Past its horizon the worker marks the message
-- 'expired' and erases the body, so support and the legal representative send a fresh one.
--
-- The new enum value is only added here, never used: PostgreSQL refuses a value added in
-- the same transaction.
ALTER TYPE message_state ADD VALUE IF NOT EXISTS 'expired';

ALTER TABLE outbox
    ADD COLUMN expires_at timestamptz,
    -- When support asked for a fresh copy of this failed or expired message: once only.
    ADD COLUMN requeued_at timestamptz;
