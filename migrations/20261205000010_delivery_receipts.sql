-- Delivery receipts (issue 15, CONTRACT.md §3b `POST /api/v1/notifiche/esiti`): the SMS
-- gateway and the mail system say what became of a message after the worker handed it
-- over. `outbox.state` stays the worker's own word (queued, sent, failed, expired); the
-- receipt is the remote system's, kept beside it, and the pages show the receipt when
-- there is one.

CREATE TYPE delivery_receipt_status AS ENUM ('delivered', 'bounced', 'failed');

-- Every receipt received, in arrival order (the id): the history support reads. A receipt
-- identical to one already recorded for the message (a gateway retrying its call) is not
-- written twice; the use case checks that under the outbox row's lock, so erasure may
-- blank `detail` without tripping over a unique index.
CREATE TABLE delivery_receipts (
    id           bigserial PRIMARY KEY,
    message_id   uuid NOT NULL REFERENCES outbox(id),
    company_id   uuid NOT NULL REFERENCES companies(id),
    status       delivery_receipt_status NOT NULL,
    -- What the remote system said, cleaned of control characters and cut to 300
    -- characters; NULL when it said nothing (or after erasure: it may quote the address).
    detail       text,
    received_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX delivery_receipts_message_idx ON delivery_receipts (message_id, id);
CREATE INDEX delivery_receipts_company_idx ON delivery_receipts (company_id);

-- The newest receipt of each message, copied onto it so that every page showing a status
-- reads one row, as before.
ALTER TABLE outbox
    ADD COLUMN receipt_status delivery_receipt_status,
    ADD COLUMN receipt_detail text,
    ADD COLUMN receipt_at timestamptz;

-- Gestione Utenze and the support sheet show each user's latest username e-mail: one
-- probe of this small partial index per user shown, however many codes and notices the
-- user was sent and however large the company.
CREATE INDEX outbox_username_by_user_idx ON outbox (user_id, created_at DESC)
    WHERE template = 'username';
