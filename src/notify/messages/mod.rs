//! The wording of the messages the portal sends (CONTRACT.md, section 5), rendered from
//! `templates/email/<name>.{txt,html}`. The `.html` parts are auto-escaped by askama; the
//! `.txt` parts are not, so a name or username reads exactly as the person typed it.

mod events;
mod notices;
mod proofs;
#[cfg(test)]
mod snapshots;

pub use events::{
    UntiedUser, access_review_email, legal_representative_left_email,
    legal_representative_promoted_email, line_ceased_email,
};
pub use notices::{
    NewLogin, contacts_changed_email, new_login_email, password_changed_email, recovery_email,
    reminder_email, support_notice_email,
};
pub use proofs::{email_confirmation_email, factors_reset_email};

use askama::Template;

use crate::clock::in_words;
use crate::credentials::{ACTIVATION_LINK_LIFETIME, CODE_LIFETIME};

/// An e-mail ready for the outbox: subject, plain-text part and HTML part.
#[derive(Debug, Clone)]
pub struct RenderedEmail {
    pub subject: String,
    pub text: String,
    pub html: String,
}

/// Whom a message about their own account goes to: the greeting's name and the company
/// whose Area Clienti it is (every e-mail names it, CONTRACT.md §5).
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    pub first_name: &'a str,
    pub company: &'a str,
}

/// What `templates/email/layout.{html,txt}` prints around every message: the greeting, the
/// company (header, signature and the footer's "why you get this"), and the one button.
pub(super) struct Frame<'a> {
    pub title: &'a str,
    pub name: &'a str,
    /// Empty when the message has no company to name.
    pub company: &'a str,
    pub link: Option<&'a str>,
    pub link_label: &'a str,
}

/// Who put the person in the Area Clienti, as the username e-mail says it.
#[derive(Debug, Clone, Copy)]
pub enum RegisteredBy<'a> {
    /// The legal representative of a first contract, registered by the portal itself.
    Contract,
    /// A legal representative or administrator of the company, by full name.
    Person(&'a str),
    /// An operator of the Servizio Clienti 191.
    Support,
    /// Not known at this send (e.g. a visitor asked for the e-mail again).
    Company,
}

/// What the username e-mail says: to whom, for which company, and who registered them.
pub struct UsernameInvite<'a> {
    pub first_name: &'a str,
    pub username: &'a str,
    /// `{PUBLIC_BASE_URL}/attivazione/{token}`.
    pub link: &'a str,
    pub company: &'a str,
    pub registered_by: RegisteredBy<'a>,
}

#[derive(Template)]
#[template(path = "email/username.txt")]
struct UsernameText<'a> {
    frame: Frame<'a>,
    intro: &'a str,
    username: &'a str,
    valid_for: &'a str,
}

#[derive(Template)]
#[template(path = "email/username.html")]
struct UsernameHtml<'a> {
    frame: Frame<'a>,
    intro: &'a str,
    username: &'a str,
    valid_for: &'a str,
}

#[derive(Template)]
#[template(path = "email/code.txt")]
struct CodeText<'a> {
    frame: Frame<'a>,
    code: &'a str,
    valid_for: &'a str,
}

#[derive(Template)]
#[template(path = "email/code.html")]
struct CodeHtml<'a> {
    frame: Frame<'a>,
    code: &'a str,
    valid_for: &'a str,
}

const USERNAME_SUBJECT: &str = "Area Clienti: la tua username";

/// The username e-mail: names the company and who registered the person, states the
/// username and carries the activation link, with the next steps and the expiry in words.
pub fn username_email(invite: &UsernameInvite<'_>) -> RenderedEmail {
    let company = invite.company;
    let intro = match invite.registered_by {
        RegisteredBy::Contract => format!(
            "l'azienda {company} ha acquistato linee mobili e ti ha indicato come Rappresentante Legale: per questo ti abbiamo registrato nell'Area Clienti, dove gestisci gli utenti e le linee dell'azienda."
        ),
        RegisteredBy::Person(who) => {
            format!("{who} di {company} ti ha registrato nell'Area Clienti.")
        }
        RegisteredBy::Support => format!(
            "il Servizio Clienti 191 ti invia l'accesso all'Area Clienti dell'azienda {company}."
        ),
        RegisteredBy::Company => {
            format!("sei registrato nell'Area Clienti dell'azienda {company}.")
        }
    };
    let valid_for = &in_words(ACTIVATION_LINK_LIFETIME);
    let frame = || Frame {
        title: USERNAME_SUBJECT,
        name: greeting_name(invite.first_name),
        company,
        link: Some(invite.link),
        link_label: "Attiva il tuo accesso",
    };
    RenderedEmail {
        subject: USERNAME_SUBJECT.to_owned(),
        text: render(&UsernameText {
            frame: frame(),
            intro: &intro,
            username: invite.username,
            valid_for,
        }),
        html: render(&UsernameHtml {
            frame: frame(),
            intro: &intro,
            username: invite.username,
            valid_for,
        }),
    }
}

const CODE_SUBJECT: &str = "Area Clienti: il tuo codice di verifica";

/// The e-mail that carries a verification code, for users without a mobile number.
pub fn code_email(to: &Recipient<'_>, code: &str) -> RenderedEmail {
    let valid_for = &in_words(CODE_LIFETIME);
    let frame = || Frame {
        title: CODE_SUBJECT,
        name: greeting_name(to.first_name),
        company: to.company,
        link: None,
        link_label: "",
    };
    RenderedEmail {
        subject: CODE_SUBJECT.to_owned(),
        text: render(&CodeText {
            frame: frame(),
            code,
            valid_for,
        }),
        html: render(&CodeHtml {
            frame: frame(),
            code,
            valid_for,
        }),
    }
}

/// The SMS that carries a verification code. No link: an SMS with a link is what phishing
/// looks like, and the person is already on the page that asked for the code.
pub fn code_sms(code: &str) -> String {
    format!(
        "Area Clienti: il tuo codice di verifica è {code}. Valido {}. Non comunicarlo a nessuno.",
        in_words(CODE_LIFETIME)
    )
}
/// "Gentile Maria," — or "Gentile cliente," when the first name is unknown.
fn greeting_name(first_name: &str) -> &str {
    match first_name.trim() {
        "" => "cliente",
        name => name,
    }
}

fn render(template: &impl Template) -> String {
    // These templates only print strings, and writing into a String cannot fail.
    template
        .render()
        .expect("e-mail templates render infallibly")
}

#[cfg(test)]
mod tests {
    use super::*;

    const LINK: &str = "https://area.example.it/attivazione/AbC-123_xyz";

    fn to(first_name: &str) -> Recipient<'_> {
        Recipient {
            first_name,
            company: "Rossi Impianti S.r.l.",
        }
    }

    fn username_email(first_name: &str, username: &str, link: &str) -> RenderedEmail {
        super::username_email(&UsernameInvite {
            first_name,
            username,
            link,
            company: "Rossi Impianti S.r.l.",
            registered_by: RegisteredBy::Contract,
        })
    }

    #[test]
    fn username_email_states_the_username_and_carries_the_link() {
        let email = username_email("Maria", "maria.rossi@example.it", LINK);
        assert!(email.subject.contains("Area Clienti"));
        for part in [&email.text, &email.html] {
            assert!(part.contains("Gentile Maria,"), "{part}");
            assert!(part.contains("maria.rossi@example.it"), "{part}");
            assert!(part.contains(LINK), "{part}");
            assert!(part.contains("7 giorni"), "{part}");
        }
        assert!(
            email.html.contains(&format!("<a href=\"{LINK}\" style=")),
            "{}",
            email.html
        );
        assert!(
            email
                .html
                .starts_with("<!doctype html>\n<html lang=\"it\">")
        );
    }

    #[test]
    fn the_new_login_notice_says_when_which_browser_where_and_links_to_sicurezza() {
        let link = "https://area.example.it/area-clienti/sicurezza";
        let login = NewLogin {
            username: "maria.rossi@example.it",
            when: "02/12/2026 alle 14:05",
            browser: "Firefox su Windows",
            client_addr: None,
            security_link: link,
        };
        let email = new_login_email(&to("Maria"), &login);
        assert_eq!(email.subject, "Area Clienti: nuovo accesso al tuo account");
        for part in [&email.text, &email.html] {
            for shown in [
                "02/12/2026 alle 14:05",
                "Firefox su Windows",
                "non disponibile",
                link,
            ] {
                assert!(part.contains(shown), "{shown} in {part}");
            }
        }
    }

    #[test]
    fn greeting_falls_back_to_cliente() {
        let email = username_email("  ", "mrossi", LINK);
        assert!(
            email.text.contains("\nGentile cliente,\n"),
            "{}",
            email.text
        );
        assert!(
            code_email(&to(""), "123456")
                .html
                .contains("Gentile cliente,")
        );
    }

    #[test]
    fn html_part_escapes_what_people_typed_and_text_part_does_not() {
        let email = username_email("<script>alert(1)</script>", "a&b<script>", LINK);
        assert!(!email.html.contains("<script>"), "{}", email.html);
        // askama writes numeric character references.
        assert!(
            email
                .html
                .contains("&#60;script&#62;alert(1)&#60;/script&#62;"),
            "{}",
            email.html
        );
        assert!(
            email.html.contains("a&#38;b&#60;script&#62;"),
            "{}",
            email.html
        );
        assert!(
            email.text.contains("Gentile <script>alert(1)</script>,"),
            "{}",
            email.text
        );
        assert!(email.text.contains("a&b<script>"), "{}", email.text);
    }

    #[test]
    fn code_email_carries_the_code() {
        let email = code_email(&to("Luca"), "042917");
        assert_eq!(email.subject, "Area Clienti: il tuo codice di verifica");
        for part in [&email.text, &email.html] {
            assert!(part.contains("042917"), "{part}");
            assert!(part.contains("10 minuti"), "{part}");
            assert!(
                part.contains("Se non hai chiesto tu il codice, ignora questo messaggio."),
                "{part}"
            );
        }
    }

    #[test]
    fn notices_carry_their_link_escaped_in_html() {
        let email = recovery_email(
            &to("Anna"),
            "a<b",
            "https://area.example.it/recupera-password/x",
        );
        assert!(
            email
                .text
                .contains("https://area.example.it/recupera-password/x")
        );
        assert!(email.text.contains("username a<b"));
        assert!(email.html.contains("a&#60;b") && !email.html.contains("a<b"));
        assert!(
            email
                .html
                .contains("<a href=\"https://area.example.it/recupera-password/x\" style=")
        );
        assert!(
            !password_changed_email(&to("Anna"), "anna")
                .text
                .contains("http")
        );
    }

    #[test]
    fn code_sms_carries_the_code_and_no_link() {
        let sms = code_sms("123456");
        assert_eq!(
            sms,
            "Area Clienti: il tuo codice di verifica è 123456. Valido 10 minuti. Non comunicarlo a nessuno."
        );
        assert!(!sms.contains("http"));
    }
}
