//! Events that race each other or Gestione Utenze (issue 14) give a result one of the
//! orders would give, never a mix: a line's cessation while the legal representative
//! registers that line's user, two handovers of one company at once, and one event sent
//! twice at once.

use reqwest::StatusCode;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::contract_events::{cessation_path, mails, post_event};
use crate::helpers::{LR_EMAIL, TestApp, VAT_A, spawn_app};
use crate::legal_representative_change::handover_path;
use crate::seeds::COMPANY_A;

/// The counts the database keeps equal a recount, and no user holds a line that is gone.
async fn counts_are_exact(app: &TestApp) {
    app.assert_holds(
        "WITH kept AS (SELECT company_id, state, n FROM roster_counts WHERE n <> 0),
              recount AS (
                 SELECT company_id, state, sum(n) AS n FROM (
                     SELECT company_id, 'da_registrare'::registration_state AS state, count(*) AS n
                     FROM mobile_lines WHERE user_id IS NULL GROUP BY company_id
                     UNION ALL
                     SELECT company_id, state, count(*) FROM users GROUP BY company_id, state
                 ) counted GROUP BY company_id, state)
         SELECT NOT EXISTS ((SELECT * FROM kept EXCEPT SELECT * FROM recount)
                            UNION ALL (SELECT * FROM recount EXCEPT SELECT * FROM kept))
         AND NOT EXISTS (SELECT 1 FROM users u WHERE u.holds_line
                         <> EXISTS (SELECT 1 FROM mobile_lines l WHERE l.user_id = u.id))",
    )
    .await;
}

/// Waits until `n` statements of the test database wait for a lock (the requests reached
/// the line's row lock). A bounded poll: the requests give no other sign of it.
async fn waiting_on_locks(app: &TestApp, n: i64) {
    for _ in 0..500 {
        let waiting = app
            .count(
                "SELECT count(*) FROM pg_stat_activity
                 WHERE datname = current_database() AND wait_event_type = 'Lock'",
            )
            .await;
        if waiting >= n {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(10)).await;
    }
    panic!("{n} statements never waited for the line's lock");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cessation_racing_the_registration_of_the_lines_user_ends_in_one_order_or_the_other() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let lr = app.logged_in_as(&company.legal_rep).await;
    const ROUNDS: usize = 6;
    for i in 0..ROUNDS {
        let number = format!("+39340222000{i}");
        sqlx::query(
            "INSERT INTO mobile_lines (id, company_id, contract_id, number) VALUES ($1, $2, 'CTR-1', $3)",
        )
        .bind(Uuid::new_v4())
        .bind(company.company_id)
        .bind(&number)
        .execute(&app.pool)
        .await
        .unwrap();
        let email = format!("utente{i}@example.it");
        let body = json!({ "event_id": format!("EVT-{i}"), "reason": "cessazione" });

        let path = cessation_path(&number);
        // Both requests in flight at once, queued on the line's row lock in a chosen
        // order: the registration first in even rounds, the cessation first in odd ones.
        let mut holder = app.pool.begin().await.unwrap();
        sqlx::query("SELECT 1 FROM mobile_lines WHERE number = $1 FOR UPDATE")
            .bind(&number)
            .execute(&mut *holder)
            .await
            .unwrap();
        let registration_first = i % 2 == 0;
        let register = async {
            if !registration_first {
                waiting_on_locks(&app, 1).await;
            }
            app.add_employee(
                &lr,
                Some(&number),
                &email,
                &email,
                "utilizzatore",
                "register",
            )
            .await
        };
        let cease = async {
            if registration_first {
                waiting_on_locks(&app, 1).await;
            }
            post_event(&app, &path, &body).await
        };
        let release = async {
            waiting_on_locks(&app, 2).await;
            holder.commit().await.unwrap();
        };
        let (added, ceased, ()) = tokio::join!(register, cease, release);

        assert_eq!(added.status(), StatusCode::SEE_OTHER, "round {i}");
        assert_eq!(ceased.status(), StatusCode::OK, "round {i}");
        let answer: Value = ceased.json().await.unwrap();
        let (state, tied_to_history): (String, bool) = sqlx::query_as(
            "SELECT u.state::text, EXISTS (SELECT 1 FROM ceased_lines c WHERE c.user_id = u.id)
             FROM users u WHERE u.username = $1",
        )
        .bind(&email)
        .fetch_one(&app.pool)
        .await
        .unwrap();
        assert_eq!(
            tied_to_history, registration_first,
            "round {i}: the order of the lock queue"
        );
        if tied_to_history {
            // Registered first: tied, then untied and disabled by the cessation.
            assert_eq!(state, "disabilitato", "round {i}");
            assert_eq!(answer["user_disabled"], true);
        } else {
            // Ceased first: the number was no line of the company any more, so it is the
            // user's own mobile; nothing to disable.
            assert_eq!(state, "in_attesa", "round {i}");
            assert_eq!(answer["untied_user_id"], Value::Null);
        }
        app.assert_holds(&format!(
            "SELECT NOT EXISTS (SELECT 1 FROM mobile_lines WHERE number = '{number}')
                AND (SELECT count(*) FROM ceased_lines WHERE number = '{number}') = 1"
        ))
        .await;
        counts_are_exact(&app).await;
    }
    assert_eq!(mails(&app, LR_EMAIL, "non più attiva").await.len(), ROUNDS);
}

fn new_rep(event_id: &str, email: &str) -> Value {
    json!({
        "event_id": event_id,
        "legal_representative": { "first_name": "Nuovo", "last_name": "Rappresentante", "email": email },
        "previous": "amministratore_full"
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn two_handovers_at_once_give_the_result_of_one_after_the_other() {
    let app = spawn_app().await;
    let company = app.seed_company(&COMPANY_A).await;
    let path = handover_path(VAT_A);
    let (anna, giulia) = ("anna.neri@example.it", "giulia.blu@example.it");

    let (to_anna, to_giulia) = (new_rep("EVT-A", anna), new_rep("EVT-G", giulia));
    let (first, second) = tokio::join!(
        post_event(&app, &path, &to_anna),
        post_event(&app, &path, &to_giulia),
    );

    assert_eq!(first.status(), StatusCode::CREATED);
    assert_eq!(second.status(), StatusCode::CREATED);
    app.assert_holds("SELECT count(*) = 1 FROM users WHERE profile = 'rappresentante_legale'")
        .await;
    // The later handover's previous one is the earlier one's new one.
    let (earlier_new, later_previous, later_new): (Uuid, Uuid, Uuid) = sqlx::query_as(
        "SELECT e.new_user_id, l.previous_user_id, l.new_user_id
         FROM legal_representative_changes e JOIN legal_representative_changes l
           ON l.previous_user_id = e.new_user_id",
    )
    .fetch_one(&app.pool)
    .await
    .unwrap();
    assert_eq!(earlier_new, later_previous);
    app.assert_holds(&format!(
        "SELECT profile = 'rappresentante_legale' FROM users WHERE id = '{later_new}'"
    ))
    .await;
    app.assert_holds(&format!(
        "SELECT (SELECT profile FROM users WHERE id = '{earlier_new}') = 'amministratore_full'
            AND (SELECT profile FROM users WHERE id = '{}') = 'amministratore_full'
            AND (SELECT previous_user_id FROM legal_representative_changes
                 WHERE new_user_id = '{earlier_new}') = '{}'",
        company.legal_rep.id, company.legal_rep.id
    ))
    .await;
    counts_are_exact(&app).await;
    // Each previous one is told once, each new one gets the username e-mail.
    assert_eq!(
        mails(&app, LR_EMAIL, "nuovo Rappresentante Legale")
            .await
            .len(),
        1
    );
    for email in [anna, giulia] {
        assert_eq!(mails(&app, email, "username").await.len(), 1, "{email}");
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn one_event_sent_twice_at_once_is_applied_once_and_answered_the_same() {
    let app = spawn_app().await;
    app.seed_company(&COMPANY_A).await;
    let path = cessation_path("+393401112233");
    let body = json!({ "event_id": "EVT-1", "reason": "cessazione" });

    let (one, two) = tokio::join!(
        post_event(&app, &path, &body),
        post_event(&app, &path, &body)
    );

    assert_eq!(one.status(), StatusCode::OK);
    assert_eq!(two.status(), StatusCode::OK);
    let (one, two): (Value, Value) = (one.json().await.unwrap(), two.json().await.unwrap());
    assert_eq!(one, two);
    app.assert_holds(
        "SELECT (SELECT count(*) FROM ceased_lines) = 1
            AND (SELECT count(*) FROM audit_events WHERE action = 'linea_cessata') = 1
            AND (SELECT count(*) FROM outbox WHERE template = 'linea_cessata') = 1",
    )
    .await;
    app.run_pending_work().await;
}
