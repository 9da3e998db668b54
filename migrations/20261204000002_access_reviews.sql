-- Issue 14 (CONTRACT.md §4c): the access review. Every ACCESS_REVIEW_DAYS the legal
-- representative is asked by e-mail to review who still has access; the page and the
-- support sheet say when the last review was done and by whom. One row per company, made at
-- the first reminder or review: a company without one counts from its creation.
CREATE TABLE access_reviews (
    company_id            uuid PRIMARY KEY REFERENCES companies(id),
    -- The last reminder e-mail queued (portal clock).
    reminded_at           timestamptz,
    -- The last review submitted, and by whom (the label stays if the user goes).
    reviewed_at           timestamptz,
    reviewer_user_id      uuid REFERENCES users(id),
    reviewer_label        text
);
