-- Work a request asks for but does not do itself (Recupera Password, "chiedi nuovamente
-- l'invio"): the request writes a row here in the transaction of its per-client rate-limit
-- check and answers; the worker of any instance does the work later. A job is deleted in
-- the transaction that does its work (and writes its outbox messages), so it is done
-- exactly once, and survives a restart until then.

CREATE TYPE job_kind AS ENUM ('recupero', 'reinvio');

CREATE TABLE jobs (
    id           uuid PRIMARY KEY,
    kind         job_kind NOT NULL,
    -- What the visitor typed (a username or an e-mail address), checked clean at the edge.
    -- Personal data: it lives only until the job is done.
    identifier   text NOT NULL,
    -- The client address, for the audit of what the job does.
    client       text,
    created_at   timestamptz NOT NULL DEFAULT now(),
    -- Failed runs so far; the job is given up (and logged) past the worker's limit.
    attempts     integer NOT NULL DEFAULT 0,
    -- Not before this: pushed forward after a failed run (retry with backoff). A job being
    -- run is held by its row lock (`FOR UPDATE SKIP LOCKED`), which a crash releases.
    run_after    timestamptz NOT NULL DEFAULT now(),
    last_error   text
);

CREATE INDEX jobs_due ON jobs (run_after);
