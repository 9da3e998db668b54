//! Who may do what in Gestione Utenze, checked on the server: every profile tries every
//! action on its own company and on another one. Refusals are 404 (never 403) and change
//! nothing; only the legal representative manages, only in their own company.

use reqwest::StatusCode;
use uuid::Uuid;

use crate::helpers::{
    Browser, GU, LINES_A, LINES_B, LR_B_EMAIL, LR_EMAIL, TestApp, location, location_path,
    management_forms, rows, spawn_app, texts,
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Profile {
    LegalRepresentative,
    AdminFull,
    AdminLight,
    User,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Action {
    List,
    AddForm,
    Add,
    LineForm,
    LineSave,
    Register,
    BulkRegister,
    Resend,
    ModifyForm,
    Modify,
    EndSessions,
    ResetFactors,
    Disable,
    Enable,
    Registro,
}

const ACTIONS: [Action; 15] = [
    Action::List,
    Action::AddForm,
    Action::Add,
    Action::LineForm,
    Action::LineSave,
    Action::Register,
    Action::BulkRegister,
    Action::Resend,
    Action::ModifyForm,
    Action::Modify,
    Action::EndSessions,
    Action::ResetFactors,
    Action::Disable,
    Action::Enable,
    Action::Registro,
];

impl Action {
    /// Whether the action names a user or line (so it can point at another company).
    fn targeted(self) -> bool {
        !matches!(
            self,
            Action::List | Action::AddForm | Action::Add | Action::Registro
        )
    }

    fn is_get(self) -> bool {
        matches!(
            self,
            Action::List
                | Action::AddForm
                | Action::LineForm
                | Action::ModifyForm
                | Action::Registro
        )
    }
}

/// The permission matrix: what `profile` gets for `action` on its own company's
/// users/lines (`own`) or another company's.
fn expected(profile: Profile, action: Action, own: bool) -> StatusCode {
    match profile {
        Profile::LegalRepresentative if own && action.is_get() => StatusCode::OK,
        Profile::LegalRepresentative if own => StatusCode::SEE_OTHER,
        Profile::AdminFull if action == Action::List => StatusCode::OK,
        _ => StatusCode::NOT_FOUND,
    }
}

/// What actions point at, in one company.
struct Targets {
    /// A line with no user.
    line: Uuid,
    /// Saved users (da_registrare), for Registra and for the bulk Registra.
    saved: Uuid,
    saved2: Uuid,
    /// A user waiting for activation (in_attesa), for Reinvia.
    pending: Uuid,
    /// An active employee (the company's Utilizzatore), for Modifica, Azzera i fattori and
    /// Disabilita.
    active: Uuid,
    /// A disabled user, for Riabilita.
    disabled: Uuid,
}

/// A company with a logged-in person of every profile and the targets of every action.
struct Company {
    people: Vec<(Profile, Browser)>,
    targets: Targets,
    user_ids: Vec<String>,
    line_ids: Vec<String>,
}

impl Company {
    fn browser(&self, profile: Profile) -> &Browser {
        &self.people.iter().find(|(p, _)| *p == profile).unwrap().1
    }
}

/// Employees of every profile (seeded active, logged in) and the action targets, added
/// through Gestione Utenze by the company's legal representative `lr`.
async fn build_company(
    app: &TestApp,
    lr: Browser,
    lr_username: &str,
    tag: &str,
    mobiles: [&str; 3],
    free_line: &str,
) -> Company {
    let mut people = Vec::new();
    for ((profile, code), mobile) in [
        (Profile::AdminFull, "amministratore_full"),
        (Profile::AdminLight, "amministratore_light"),
        (Profile::User, "utilizzatore"),
    ]
    .into_iter()
    .zip(mobiles)
    {
        let email = format!("{code}.{tag}@example.it");
        people.push((
            profile,
            app.seeded_employee_logged_in(lr_username, &email, Some(mobile), code)
                .await,
        ));
    }
    let mut ids = Vec::new();
    for (name, action) in [
        ("saved", "save"),
        ("saved2", "save"),
        ("pending", "register"),
        ("disabled", "save"),
    ] {
        let email = format!("{name}.{tag}@example.it");
        let added = app
            .add_employee(&lr, None, &email, &email, "utilizzatore", action)
            .await;
        assert_eq!(added.status(), StatusCode::SEE_OTHER, "{email} added");
        ids.push(app.user_id(&email).await);
    }
    let disabled = lr
        .post_form(&format!("{GU}/utenti/{}/disabilita", ids[3]), &[])
        .await;
    assert_eq!(disabled.status(), StatusCode::SEE_OTHER);
    let targets = Targets {
        line: app.line_id(free_line).await,
        saved: ids[0],
        saved2: ids[1],
        pending: ids[2],
        active: app.user_id(&format!("utilizzatore.{tag}@example.it")).await,
        disabled: ids[3],
    };
    people.insert(0, (Profile::LegalRepresentative, lr));
    let company: Uuid = sqlx::query_scalar("SELECT company_id FROM users WHERE id = $1")
        .bind(targets.saved)
        .fetch_one(&app.pool)
        .await
        .unwrap();
    let user_ids = sqlx::query_scalar("SELECT id::text FROM users WHERE company_id = $1")
        .bind(company)
        .fetch_all(&app.pool)
        .await
        .unwrap();
    let line_ids = sqlx::query_scalar("SELECT id::text FROM mobile_lines WHERE company_id = $1")
        .bind(company)
        .fetch_all(&app.pool)
        .await
        .unwrap();
    Company {
        people,
        targets,
        user_ids,
        line_ids,
    }
}

/// Does `action` as the person at `browser`, aimed at `t`; `n` makes typed values unique.
async fn perform(browser: &Browser, action: Action, t: &Targets, n: usize) -> (StatusCode, String) {
    let email = format!("tentativo{n}@example.it");
    let response = match action {
        Action::List => browser.get(GU).await,
        Action::AddForm => browser.get(&format!("{GU}/aggiungi")).await,
        Action::Add => {
            let form = [
                ("mobile", ""),
                ("email", email.as_str()),
                ("username", email.as_str()),
                ("profile", "utilizzatore"),
                ("action", "register"),
            ];
            browser.post_form(&format!("{GU}/aggiungi"), &form).await
        }
        Action::LineForm => {
            browser
                .get(&format!("{GU}/linee/{}/aggiorna", t.line))
                .await
        }
        Action::LineSave => {
            let form = [
                ("email", email.as_str()),
                ("username", email.as_str()),
                ("profile", "utilizzatore"),
            ];
            browser
                .post_form(&format!("{GU}/linee/{}/aggiorna", t.line), &form)
                .await
        }
        Action::Register => {
            browser
                .post_form(&format!("{GU}/utenti/{}/registra", t.saved), &[])
                .await
        }
        Action::BulkRegister => {
            let id = t.saved2.to_string();
            browser
                .post_form(&format!("{GU}/registra"), &[("user_id", id.as_str())])
                .await
        }
        Action::Resend => {
            browser
                .post_form(&format!("{GU}/utenti/{}/reinvia", t.pending), &[])
                .await
        }
        Action::ModifyForm => {
            browser
                .get(&format!("{GU}/utenti/{}/modifica", t.active))
                .await
        }
        Action::Modify => {
            let form = [
                ("email", email.as_str()),
                ("mobile", ""),
                ("profile", "amministratore_full"),
            ];
            browser
                .post_form(&format!("{GU}/utenti/{}/modifica", t.active), &form)
                .await
        }
        Action::EndSessions => {
            browser
                .post_form(&format!("{GU}/utenti/{}/termina-sessioni", t.active), &[])
                .await
        }
        Action::ResetFactors => {
            browser
                .post_form(&format!("{GU}/utenti/{}/azzera-fattori", t.active), &[])
                .await
        }
        Action::Disable => {
            browser
                .post_form(&format!("{GU}/utenti/{}/disabilita", t.active), &[])
                .await
        }
        Action::Enable => {
            browser
                .post_form(&format!("{GU}/utenti/{}/riabilita", t.disabled), &[])
                .await
        }
        Action::Registro => browser.get(&format!("{GU}/registro")).await,
    };
    let status = response.status();
    (status, response.text().await.unwrap())
}

#[tokio::test]
async fn only_the_legal_representative_manages_users_and_only_in_their_own_company() {
    let app = spawn_app().await;
    // The emails these steps queue are not what this test checks.
    app.leaves_messages_queued();
    let lr_a = app.seeded_legal_representative().await;
    let lr_b = app.seeded_second_company().await;
    let a = build_company(
        &app,
        lr_a,
        LR_EMAIL,
        "a",
        ["+393471000001", "+393471000002", "+393471000003"],
        LINES_A[1],
    )
    .await;
    let b = build_company(
        &app,
        lr_b,
        LR_B_EMAIL,
        "b",
        ["+393471000011", "+393471000012", "+393471000013"],
        LINES_B[1],
    )
    .await;
    app.outbox_settled().await;
    let before = app.state_snapshot().await;
    let mut n = 0;
    let mut checked = 0;

    // Everything that must be refused, and Amministratore Full's read-only list.
    for (own, other) in [(&a, &b), (&b, &a)] {
        for (profile, browser) in &own.people {
            for action in ACTIONS {
                for (is_own, target) in [(true, own), (false, other)] {
                    if !is_own && !action.targeted() {
                        continue;
                    }
                    if *profile == Profile::LegalRepresentative && is_own {
                        continue; // the legal representative's own actions run below
                    }
                    let want = expected(*profile, action, is_own);
                    n += 1;
                    let (status, html) = perform(browser, action, &target.targets, n).await;
                    let case = format!(
                        "{profile:?} {action:?} on {} company",
                        if is_own { "own" } else { "another" }
                    );
                    assert_eq!(status, want, "{case}");
                    assert_eq!(
                        app.state_snapshot().await,
                        before,
                        "{case} changed something"
                    );
                    if status == StatusCode::OK {
                        assert_eq!(
                            management_forms(&html),
                            0,
                            "{case}: read-only, no forms to act"
                        );
                        let shown = rows(&html);
                        assert!(!shown.is_empty(), "{case}: the rows are shown");
                        for row in shown {
                            assert!(
                                row.user_id.is_empty() || own.user_ids.contains(&row.user_id),
                                "{case}: {row:?}"
                            );
                            assert!(
                                row.line_id.is_empty() || own.line_ids.contains(&row.line_id),
                                "{case}: {row:?}"
                            );
                        }
                    }
                    checked += 1;
                }
            }
        }
    }
    assert_eq!(
        checked,
        2 * (4 * (4 + 11 * 2) - 15),
        "every cell of the matrix but the allowed ones"
    );

    // The legal representative, on their own company: every action works.
    for company in [&a, &b] {
        let t = &company.targets;
        let lr = company.browser(Profile::LegalRepresentative);
        for action in ACTIONS {
            n += 1;
            let (status, html) = perform(lr, action, t, n).await;
            assert_eq!(
                status,
                expected(Profile::LegalRepresentative, action, true),
                "legal representative {action:?}"
            );
            match action {
                Action::List => {
                    assert!(
                        management_forms(&html) > 0,
                        "the legal representative gets forms to act"
                    );
                    for row in rows(&html) {
                        assert!(
                            row.user_id.is_empty() || company.user_ids.contains(&row.user_id),
                            "{row:?}"
                        );
                    }
                }
                Action::Add => assert_eq!(
                    app.user_state(&format!("tentativo{n}@example.it")).await,
                    "in_attesa"
                ),
                Action::LineSave => {
                    let tied: Option<Uuid> =
                        sqlx::query_scalar("SELECT user_id FROM mobile_lines WHERE id = $1")
                            .bind(t.line)
                            .fetch_one(&app.pool)
                            .await
                            .unwrap();
                    assert_eq!(
                        tied,
                        Some(app.user_id(&format!("tentativo{n}@example.it")).await)
                    );
                }
                Action::Register => assert_eq!(state_of(&app, t.saved).await, "in_attesa"),
                Action::BulkRegister => assert_eq!(state_of(&app, t.saved2).await, "in_attesa"),
                Action::Resend => assert_eq!(
                    app.username_emails_of(t.pending).await,
                    2,
                    "a second username email"
                ),
                Action::Modify => {
                    let profile: String =
                        sqlx::query_scalar("SELECT profile::text FROM users WHERE id = $1")
                            .bind(t.active)
                            .fetch_one(&app.pool)
                            .await
                            .unwrap();
                    assert_eq!(profile, "amministratore_full");
                }
                Action::EndSessions => {
                    let employee = company.browser(Profile::User);
                    assert_eq!(
                        location(&employee.get("/area-clienti").await),
                        "/accedi",
                        "their session ended"
                    );
                }
                Action::ResetFactors => {
                    app.assert_holds(&format!(
                        "SELECT factors_reset_at IS NOT NULL FROM users WHERE id = '{}'",
                        t.active
                    ))
                    .await
                }
                Action::Disable => {
                    assert_eq!(state_of(&app, t.active).await, "disabilitato");
                    let employee = company.browser(Profile::User);
                    assert_eq!(
                        location(&employee.get("/area-clienti").await),
                        "/accedi",
                        "their session ended"
                    );
                }
                Action::Enable => assert_eq!(state_of(&app, t.disabled).await, "da_registrare"),
                Action::Registro => assert!(!texts(&html, "tr[data-evento]").is_empty()),
                Action::AddForm | Action::LineForm | Action::ModifyForm => {}
            }
        }
    }
}

async fn state_of(app: &TestApp, id: Uuid) -> String {
    sqlx::query_scalar("SELECT state::text FROM users WHERE id = $1")
        .bind(id)
        .fetch_one(&app.pool)
        .await
        .unwrap()
}

#[tokio::test]
async fn nobody_manages_themselves_and_the_legal_representative_row_is_untouchable() {
    let app = spawn_app().await;
    let lr = app.seeded_legal_representative().await;
    let mut people = vec![(
        "rappresentante_legale",
        app.user_id(LR_EMAIL).await,
        "amministratore_full",
    )];
    let mut browsers = Vec::new();
    for (profile, mobile, other_profile) in [
        ("amministratore_full", "+393471000001", "utilizzatore"),
        (
            "amministratore_light",
            "+393471000002",
            "amministratore_full",
        ),
        ("utilizzatore", "+393471000003", "amministratore_full"),
    ] {
        let email = format!("{profile}@example.it");
        browsers.push(
            app.seeded_employee_logged_in(LR_EMAIL, &email, Some(mobile), profile)
                .await,
        );
        people.push((profile, app.user_id(&email).await, other_profile));
    }
    browsers.insert(0, lr);
    app.outbox_settled().await;
    let before = app.state_snapshot().await;
    let lr = &browsers[0];
    let lr_id = people[0].1;

    for ((profile, id, other_profile), browser) in people.iter().zip(&browsers) {
        let modify = [
            ("email", "nuova@example.it"),
            ("mobile", ""),
            ("profile", *other_profile),
        ];
        let attempts = [
            (
                "modifica GET",
                browser.get(&format!("{GU}/utenti/{id}/modifica")).await,
            ),
            (
                "modifica",
                browser
                    .post_form(&format!("{GU}/utenti/{id}/modifica"), &modify)
                    .await,
            ),
            (
                "disabilita",
                browser
                    .post_form(&format!("{GU}/utenti/{id}/disabilita"), &[])
                    .await,
            ),
            (
                "registra",
                browser
                    .post_form(&format!("{GU}/utenti/{id}/registra"), &[])
                    .await,
            ),
            (
                "reinvia",
                browser
                    .post_form(&format!("{GU}/utenti/{id}/reinvia"), &[])
                    .await,
            ),
            (
                "termina-sessioni",
                browser
                    .post_form(&format!("{GU}/utenti/{id}/termina-sessioni"), &[])
                    .await,
            ),
            (
                "azzera-fattori",
                browser
                    .post_form(&format!("{GU}/utenti/{id}/azzera-fattori"), &[])
                    .await,
            ),
        ];
        for (what, response) in attempts {
            assert_eq!(
                response.status(),
                StatusCode::NOT_FOUND,
                "{profile}: {what} on themselves"
            );
        }
        assert_eq!(
            app.state_snapshot().await,
            before,
            "{profile} changed something about themselves"
        );
        assert_eq!(
            browser.get("/area-clienti").await.status(),
            StatusCode::OK,
            "{profile} still logged in"
        );
    }

    let full = &browsers[1];
    for browser in [lr, full] {
        let modify = [
            ("email", "nuova@example.it"),
            ("mobile", ""),
            ("profile", "amministratore_full"),
        ];
        assert_eq!(
            browser
                .get(&format!("{GU}/utenti/{lr_id}/modifica"))
                .await
                .status(),
            StatusCode::NOT_FOUND
        );
        let modified = browser
            .post_form(&format!("{GU}/utenti/{lr_id}/modifica"), &modify)
            .await;
        assert_eq!(
            modified.status(),
            StatusCode::NOT_FOUND,
            "the legal representative row cannot be modified"
        );
        let disabled = browser
            .post_form(&format!("{GU}/utenti/{lr_id}/disabilita"), &[])
            .await;
        assert_eq!(
            disabled.status(),
            StatusCode::NOT_FOUND,
            "the legal representative row cannot be disabled"
        );
        let ended = browser
            .post_form(&format!("{GU}/utenti/{lr_id}/termina-sessioni"), &[])
            .await;
        assert_eq!(
            ended.status(),
            StatusCode::NOT_FOUND,
            "the legal representative's sessions cannot be ended from Gestione Utenze"
        );
    }
    assert_eq!(app.state_snapshot().await, before);

    assert_eq!(
        full.get(&format!("{GU}/registro")).await.status(),
        StatusCode::NOT_FOUND,
        "registro: legal representative only"
    );
    let (status, html) = full.get_html(GU).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(management_forms(&html), 0, "Amministratore Full reads only");
    assert!(
        rows(&html).len() >= 6,
        "…but reads everything: {:#?}",
        rows(&html)
    );

    let employee = people[3].1;
    let no_token = lr
        .post_raw(&format!("{GU}/utenti/{employee}/disabilita"), &[])
        .await;
    let forged = lr
        .post_raw(
            &format!("{GU}/utenti/{employee}/disabilita"),
            &[("csrf_token", "forged")],
        )
        .await;
    assert_eq!(no_token.status(), StatusCode::FORBIDDEN);
    assert_eq!(forged.status(), StatusCode::FORBIDDEN);
    assert_eq!(
        app.state_snapshot().await,
        before,
        "nothing changes without the CSRF token"
    );

    let anonymous = Browser::new(&app.address);
    let response = anonymous.get(GU).await;
    assert_eq!(response.status(), StatusCode::SEE_OTHER);
    assert_eq!(location_path(&response), "/accedi");
    let refused = anonymous
        .post_form(&format!("{GU}/utenti/{employee}/disabilita"), &[])
        .await;
    assert_eq!(
        (refused.status(), location(&refused)),
        (StatusCode::SEE_OTHER, "/accedi".to_owned()),
        "a visitor is sent to the login page"
    );
    assert_eq!(
        app.state_snapshot().await,
        before,
        "nothing changes for a visitor"
    );
}
