-- The SQL of one Gestione Utenze page view (GET /area-clienti/gestione-utenze, first page,
-- no search), statement for statement as the portal sends it: the session, the user, the
-- page's rows (src/db/roster.rs, walked_page without a state, with the invitation join of
-- db::invitations::latest_join) and the counts. pgbench -M prepared runs it like sqlx does,
-- the page's size and offset bound as parameters as the portal binds them (a plan made for
-- literals is not the plan the portal gets). Variables: :sid (session id), :uid (user id),
-- :company, :page_size (50), :page_offset (0).
SELECT data FROM "tower_sessions"."session" WHERE id = :sid AND expiry_date > now();
SELECT id, company_id, username, email, mobile, first_name, last_name, profile, state,
       session_epoch, created_at, activated_at
FROM users WHERE id = :uid;
WITH keys AS (
    (SELECT number, false AS lineless, NULL::text AS username, NULL::uuid AS user_id
     FROM mobile_lines WHERE company_id = :company
     ORDER BY number LIMIT CAST(:page_size AS bigint) + CAST(:page_offset AS bigint))
    UNION ALL
    (SELECT mobile, true, lower(username), id FROM users
     WHERE company_id = :company AND NOT holds_line
     ORDER BY mobile NULLS LAST, lower(username) LIMIT CAST(:page_size AS bigint) + CAST(:page_offset AS bigint))
    ORDER BY number NULLS LAST, lineless, username
    LIMIT CAST(:page_size AS bigint) OFFSET CAST(:page_offset AS bigint)
), r AS (
    SELECT l.id AS line_id, k.number, u.id AS user_id, u.first_name, u.last_name,
           u.email, u.username, u.profile,
           coalesce(u.state, 'da_registrare'::registration_state) AS state,
           (l.referent_email IS NOT NULL) AS has_referent
    FROM keys k
    LEFT JOIN mobile_lines l
           ON NOT k.lineless AND l.number = k.number AND l.company_id = :company
    LEFT JOIN LATERAL (
        SELECT * FROM users
        WHERE id = CASE WHEN k.lineless THEN k.user_id ELSE l.user_id END
        OFFSET 0
    ) u ON u.company_id = :company
)
SELECT r.*, inv.* FROM r
LEFT JOIN LATERAL (
    SELECT o.recipient AS inv_recipient, o.state AS inv_state,
           o.receipt_status AS inv_receipt_status, o.receipt_at AS inv_receipt_at,
           o.created_at AS inv_created_at, o.sent_at AS inv_sent_at,
           o.expires_at AS inv_expires_at
    FROM outbox o
    WHERE o.user_id = r.user_id AND o.template = 'username'
    ORDER BY o.created_at DESC LIMIT 1
) inv ON true
ORDER BY number NULLS LAST, (line_id IS NULL), lower(username), line_id;
SELECT state, n FROM roster_counts WHERE company_id = :company;
