//! The e-mails of lost factors and proven contacts: the notice after a reset of the factors
//! (with the link to enrol new ones) and the link that confirms a new own e-mail address.

use super::notices::notice;
use super::{Recipient, RenderedEmail};
use crate::clock::in_words;
use crate::credentials::{EMAIL_CHANGE_LINK_LIFETIME, REENROLMENT_LINK_LIFETIME};

/// "I tuoi fattori di accesso sono stati azzerati": `by` says who did it ("il Servizio
/// Clienti 191"), `link` is `{PUBLIC_BASE_URL}/nuovo-fattore/{token}`.
pub fn factors_reset_email(
    to: &Recipient<'_>,
    username: &str,
    by: &str,
    link: &str,
) -> RenderedEmail {
    let paragraphs = [
        format!(
            "{by} ha azzerato i fattori di accesso della username {username}: l'app di autenticazione e i codici di recupero non funzionano più, e le sessioni aperte sono state chiuse. La password non cambia."
        ),
        format!(
            "Per attivare un nuovo fattore apri il link qui sotto entro {}: ti invieremo un codice di verifica (via SMS al tuo cellulare o, se non lo abbiamo, via e-mail) e poi potrai aggiungere una nuova app di autenticazione. Il link si può usare una sola volta; se scade, usa Recupera Password.",
            in_words(REENROLMENT_LINK_LIFETIME)
        ),
        "Se non hai chiesto tu l'azzeramento, chiama subito il Servizio Clienti 191.".to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: i tuoi fattori di accesso sono stati azzerati",
        &paragraphs,
        Some(("Attiva un nuovo fattore di accesso", link)),
    )
}

/// Sent to a new own e-mail address: it counts only once this link is opened and confirmed.
pub fn email_confirmation_email(
    to: &Recipient<'_>,
    username: &str,
    new_email: &str,
    link: &str,
) -> RenderedEmail {
    let paragraphs = [
        format!(
            "hai chiesto di usare l'indirizzo {new_email} per la username {username} dell'Area Clienti."
        ),
        format!(
            "Per confermarlo apri il link qui sotto entro {} e premi «Conferma». Fino ad allora continuiamo a scrivere all'indirizzo di prima.",
            in_words(EMAIL_CHANGE_LINK_LIFETIME)
        ),
        "Se non hai chiesto tu la modifica, ignora questo messaggio: nulla cambia.".to_owned(),
    ];
    notice(
        to.first_name,
        to.company,
        "Area Clienti: conferma il nuovo indirizzo e-mail",
        &paragraphs,
        Some(("Conferma il nuovo indirizzo", link)),
    )
}
