//! Snapshot tests of every message the portal e-mails: each kind is rendered with fixed
//! inputs (hostile names among them) and compared, subject, text and HTML, with the files in
//! `src/notify/messages/snapshots/`. After a wanted change of wording or layout,
//! `UPDATE_SNAPSHOTS=1 cargo test --lib snapshots` rewrites them: review the diff, commit it.

use std::path::PathBuf;

use super::*;
use crate::domain::MessageKind;

const HOSTILE_COMPANY: &str = "Rossi & Figli \"<script>alert(1)</script>\"";
const HOSTILE_PERSON: &str = "Maria <b>Rossi</b> & 'Co'";
const BASE: &str = "https://area.example.it";

/// Compares `email` with `snapshots/<name>.{subject,txt,html}`, or writes them when
/// `UPDATE_SNAPSHOTS` is set.
fn assert_snapshot(name: &str, email: &RenderedEmail) {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("src/notify/messages/snapshots");
    let parts = [
        ("subject", format!("{}\n", email.subject)),
        ("txt", email.text.clone()),
        ("html", email.html.clone()),
    ];
    for (ext, actual) in parts {
        let path = dir.join(format!("{name}.{ext}"));
        if std::env::var_os("UPDATE_SNAPSHOTS").is_some() {
            std::fs::create_dir_all(&dir).unwrap();
            std::fs::write(&path, &actual).unwrap();
            continue;
        }
        let expected = std::fs::read_to_string(&path).unwrap_or_else(|_| {
            panic!("no snapshot {path:?}: run with UPDATE_SNAPSHOTS=1 and review it")
        });
        assert!(
            expected == actual,
            "{name}.{ext} differs from its snapshot (UPDATE_SNAPSHOTS=1 rewrites it):\n{actual}"
        );
    }
}

/// Anna Verdi of the company, as the account's own e-mails greet her.
fn anna(company: &str) -> Recipient<'_> {
    Recipient {
        first_name: "Anna",
        company,
    }
}

fn invite(registered_by: RegisteredBy<'_>, company: &str) -> RenderedEmail {
    username_email(&UsernameInvite {
        first_name: "Luca",
        username: "luca.bianchi@example.it",
        link: &format!("{BASE}/attivazione/AbC-123_xyz"),
        company,
        registered_by,
    })
}

/// The messages of one kind, by snapshot name. A new kind does not compile until it has one.
fn examples(kind: MessageKind) -> Vec<(&'static str, RenderedEmail)> {
    let company = "Rossi Impianti S.r.l.";
    match kind {
        MessageKind::Username => vec![
            ("username_contract", invite(RegisteredBy::Contract, company)),
            (
                "username_by_person",
                invite(RegisteredBy::Person("Maria Rossi"), company),
            ),
            (
                "username_by_support",
                invite(RegisteredBy::Support, company),
            ),
            ("username_resent", invite(RegisteredBy::Company, company)),
            (
                "username_hostile",
                invite(RegisteredBy::Person(HOSTILE_PERSON), HOSTILE_COMPANY),
            ),
        ],
        MessageKind::Code => vec![(
            "code",
            code_email(
                &Recipient {
                    first_name: "Luca",
                    company,
                },
                "042917",
            ),
        )],
        MessageKind::Recovery => vec![(
            "recovery",
            recovery_email(
                &anna(company),
                "anna.verdi",
                &format!("{BASE}/recupera-password/t0k"),
            ),
        )],
        MessageKind::Reminder => vec![(
            "reminder",
            reminder_email(
                &anna(company),
                "anna.verdi",
                &format!("{BASE}/recupera-password/t0k"),
            ),
        )],
        MessageKind::PasswordChanged => {
            vec![(
                "password_changed",
                password_changed_email(&anna(company), "anna.verdi"),
            )]
        }
        MessageKind::ContactsChanged => {
            vec![(
                "contacts_changed",
                contacts_changed_email(
                    &Recipient {
                        first_name: "",
                        company: HOSTILE_COMPANY,
                    },
                    "anna.verdi",
                ),
            )]
        }
        MessageKind::SupportNotice => {
            vec![(
                "support_notice",
                support_notice_email(&anna(company), "anna.verdi"),
            )]
        }
        MessageKind::FactorsReset => vec![(
            "factors_reset",
            factors_reset_email(
                &anna(company),
                "anna.verdi",
                "il Servizio Clienti 191",
                &format!("{BASE}/nuovo-fattore/t0k"),
            ),
        )],
        MessageKind::EmailConfirmation => vec![(
            "email_confirmation",
            email_confirmation_email(
                &anna(company),
                "anna.verdi",
                "anna@nuova.example.it",
                &format!("{BASE}/conferma-email/t0k"),
            ),
        )],
        MessageKind::NewLogin => vec![(
            "new_login",
            new_login_email(
                &anna(company),
                &NewLogin {
                    username: "anna.verdi",
                    when: "02/12/2026 alle 14:05",
                    browser: "Firefox su Windows",
                    client_addr: Some("203.0.113.7"),
                    security_link: &format!("{BASE}/area-clienti/sicurezza"),
                },
            ),
        )],
        MessageKind::LineCeased => vec![(
            "line_ceased",
            line_ceased_email(
                "Maria",
                HOSTILE_COMPANY,
                "+39 340 111 2233",
                "è cessata",
                Some(&UntiedUser {
                    name: HOSTILE_PERSON,
                    username: "luca.bianchi@example.it",
                    disabled: true,
                }),
            ),
        )],
        MessageKind::LegalRepresentativeChanged => vec![
            (
                "legal_representative_left",
                legal_representative_left_email("Maria", company, "Paolo Neri", true),
            ),
            (
                "legal_representative_promoted",
                legal_representative_promoted_email("Paolo", company, "paolo.neri"),
            ),
        ],
        MessageKind::AccessReview => vec![(
            "access_review",
            access_review_email(
                "Maria",
                company,
                &format!("{BASE}/area-clienti/gestione-utenze/revisione"),
                90,
            ),
        )],
    }
}

#[test]
fn every_kind_of_email_matches_its_snapshot() {
    for &kind in MessageKind::ALL {
        for (name, email) in examples(kind) {
            assert_snapshot(name, &email);
        }
    }
}

#[test]
fn every_email_has_the_layout_the_footer_and_says_the_same_in_both_parts() {
    for &kind in MessageKind::ALL {
        for (name, email) in examples(kind) {
            let (html, text) = (&email.html, &email.text);
            assert!(html.contains(r#"<meta name="color-scheme" content="light dark">"#));
            assert!(html.contains("max-width:600px"), "{name}");
            assert!(!html.contains("<img") && !html.contains("<style"), "{name}");
            for part in [html, text] {
                assert!(part.contains("Se non ti aspettavi questa e-mail"), "{name}");
                assert!(part.contains("Servizio Clienti 191"), "{name}");
                assert!(part.contains("Non ti chiederemo mai la password"), "{name}");
            }
            // Every link of the HTML part is also written out in the text part.
            for url in html.split("href=\"").skip(1) {
                let url = &url[..url.find('"').unwrap()];
                assert!(
                    text.contains(url),
                    "{name}: {url} missing from the text part"
                );
            }
        }
    }
}

#[test]
fn the_username_email_names_the_company_and_who_registered_the_person() {
    let email = invite(RegisteredBy::Person("Maria Rossi"), "Rossi Impianti S.r.l.");
    for part in [&email.text, &email.html] {
        assert!(
            part.contains("Maria Rossi di Rossi Impianti S.r.l. ti ha registrato"),
            "{part}"
        );
        assert!(part.contains("Il link è valido 7 giorni"), "{part}");
    }
    let email = invite(RegisteredBy::Contract, "Rossi Impianti S.r.l.");
    assert!(email.text.contains(
        "l'azienda Rossi Impianti S.r.l. ha acquistato linee mobili e ti ha indicato come Rappresentante Legale"
    ));
}

#[test]
fn hostile_names_are_escaped_in_html_and_plain_in_text() {
    let email = invite(RegisteredBy::Person(HOSTILE_PERSON), HOSTILE_COMPANY);
    assert!(!email.html.contains("<script>") && !email.html.contains("<b>"));
    // askama writes numeric character references.
    assert!(
        email
            .html
            .contains("Rossi &#38; Figli &#34;&#60;script&#62;alert(1)&#60;/script&#62;&#34;")
    );
    assert!(
        email
            .html
            .contains("Maria &#60;b&#62;Rossi&#60;/b&#62; &#38; &#39;Co&#39;")
    );
    assert!(email.text.contains(HOSTILE_COMPANY));
    assert!(email.text.contains(HOSTILE_PERSON));
    assert!(!email.text.contains("&#"));
}
