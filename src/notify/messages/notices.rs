//! The notice family: plain e-mails of a few paragraphs and at most one link, rendered
//! from `templates/email/notice.{txt,html}` — recovery link, credentials reminder, and the
//! warnings after a password, contacts or support change, or a login from a new browser.

use askama::Template;

use super::{Frame, Recipient, RenderedEmail, greeting_name, render};
use crate::clock::in_words;
use crate::credentials::RECOVERY_LINK_LIFETIME;

#[derive(Template)]
#[template(path = "email/notice.txt")]
struct NoticeText<'a> {
    frame: Frame<'a>,
    paragraphs: &'a [String],
}

#[derive(Template)]
#[template(path = "email/notice.html")]
struct NoticeHtml<'a> {
    frame: Frame<'a>,
    paragraphs: &'a [String],
}

/// A plain notice: a few paragraphs and at most one link (`(label, url)`), naming `company`
/// when the message is about one (empty otherwise).
pub(super) fn notice(
    first_name: &str,
    company: &str,
    subject: &str,
    paragraphs: &[String],
    link: Option<(&str, &str)>,
) -> RenderedEmail {
    let frame = || Frame {
        title: subject,
        name: greeting_name(first_name),
        company,
        link: link.map(|(_, url)| url),
        link_label: link.map_or("", |(label, _)| label),
    };
    RenderedEmail {
        subject: subject.to_owned(),
        text: render(&NoticeText {
            frame: frame(),
            paragraphs,
        }),
        html: render(&NoticeHtml {
            frame: frame(),
            paragraphs,
        }),
    }
}

/// Recupera Password: the short-lived link `{PUBLIC_BASE_URL}/recupera-password/{token}`.
pub fn recovery_email(to: &Recipient<'_>, username: &str, link: &str) -> RenderedEmail {
    let paragraphs = [
        format!("abbiamo ricevuto una richiesta di recupero della password per la username {username}."),
        format!("Apri il link qui sotto, chiedi il codice di verifica (ti arriva via SMS o, se non abbiamo il tuo cellulare, via e-mail) e scegli la nuova password. Il link è valido {} e si può usare una sola volta.", in_words(RECOVERY_LINK_LIFETIME)),
        "Se non hai chiesto tu il recupero, ignora questo messaggio: la tua password resta la stessa.".to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: recupera la password",
        &paragraphs,
        Some(("Scegli una nuova password", link)),
    )
}

/// For an active user who asked for the credentials again: the username and a recovery link.
pub fn reminder_email(to: &Recipient<'_>, username: &str, link: &str) -> RenderedEmail {
    let paragraphs = [
        format!(
            "hai chiesto di ricevere di nuovo le credenziali dell'Area Clienti. La tua username è: {username}"
        ),
        format!(
            "Il tuo accesso è già attivo: accedi con la username e la tua password. Se non ricordi la password, apri il link qui sotto entro {} per sceglierne una nuova.",
            in_words(RECOVERY_LINK_LIFETIME)
        ),
        "Se non hai chiesto tu questo messaggio, ignoralo.".to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: la tua username",
        &paragraphs,
        Some(("Scegli una nuova password", link)),
    )
}

/// After a password change: tells the owner, in case it was not them.
pub fn password_changed_email(to: &Recipient<'_>, username: &str) -> RenderedEmail {
    let paragraphs = [
        format!("la password della username {username} è stata cambiata e tutte le sessioni aperte sono state chiuse."),
        "Se sei stato tu, non devi fare altro. Se non sei stato tu, usa subito Recupera Password e chiama il Servizio Clienti 191.".to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: password cambiata",
        &paragraphs,
        None,
    )
}

/// After the owner changed their email or mobile: sent to the address on file before.
pub fn contacts_changed_email(to: &Recipient<'_>, username: &str) -> RenderedEmail {
    let paragraphs = [
        format!("i dati di contatto (e-mail o cellulare) della username {username} sono stati modificati."),
        "Se sei stato tu, non devi fare altro. Se non sei stato tu, usa subito Recupera Password e chiama il Servizio Clienti 191.".to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: dati di contatto modificati",
        &paragraphs,
        None,
    )
}

/// When support staff acted on the account (e.g. resent the username email).
pub fn support_notice_email(to: &Recipient<'_>, username: &str) -> RenderedEmail {
    let paragraphs = [
        format!(
            "su richiesta al Servizio Clienti 191 ti abbiamo inviato di nuovo la e-mail con la username {username}."
        ),
        "Se non hai chiamato tu il Servizio Clienti, ignora la e-mail e avvisaci chiamando il 191."
            .to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: intervento del Servizio Clienti",
        &paragraphs,
        None,
    )
}

/// What the "Nuovo accesso" e-mail tells about the login.
pub struct NewLogin<'a> {
    pub username: &'a str,
    /// "02/12/2026 alle 14:05" (Europe/Rome).
    pub when: &'a str,
    /// "Firefox su Windows": a name from `domain::user_agent`'s lists, never the raw header.
    pub browser: &'a str,
    pub client_addr: Option<&'a str>,
    /// `{PUBLIC_BASE_URL}/area-clienti/sicurezza`.
    pub security_link: &'a str,
}

/// A login from a browser the user never logged in from before (CONTRACT.md §4b).
pub fn new_login_email(to: &Recipient<'_>, login: &NewLogin<'_>) -> RenderedEmail {
    let address = login.client_addr.unwrap_or("non disponibile");
    let paragraphs = [
        format!(
            "c'è stato un nuovo accesso all'Area Clienti con la username {}, da un browser che non avevi mai usato per accedere.",
            login.username
        ),
        format!(
            "Quando: {} (ora italiana). Browser: {}. Indirizzo IP: {address}.",
            login.when, login.browser
        ),
        "Se sei stato tu, non devi fare altro. Se non riconosci questo accesso, apri la pagina Sicurezza dal link qui sotto e termina la sessione, poi cambia la password (o usa Recupera Password) e chiama il Servizio Clienti 191.".to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: nuovo accesso al tuo account",
        &paragraphs,
        Some(("Apri la pagina Sicurezza", login.security_link)),
    )
}
