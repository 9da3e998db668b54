//! The notices of the events after the first contract (CONTRACT.md §3b): a line that left
//! the company, and the two sides of a handover of the legal representative.

use super::RenderedEmail;
use super::notices::notice;

/// Who was tied to a line that ceased, and what became of them.
pub struct UntiedUser<'a> {
    pub name: &'a str,
    pub username: &'a str,
    /// An Utilizzatore left without a line is disabled.
    pub disabled: bool,
}

/// To the legal representative: a line of the company ceased or was ported out (`what`:
/// "è cessata", …), and what changed for the user tied to it. `number` as people read it
/// (`PhoneNumber::grouped`).
pub fn line_ceased_email(
    first_name: &str,
    company: &str,
    number: &str,
    what: &str,
    user: Option<&UntiedUser<'_>>,
) -> RenderedEmail {
    let mut paragraphs = vec![format!(
        "la linea mobile {number} dell'azienda {company} {what}: non compare più in Gestione Utenze."
    )];
    paragraphs.push(match user {
        None => "Nessun utente era associato alla linea.".to_owned(),
        Some(u) if u.disabled => format!(
            "L'utente {} (username {}) non è più associato alla linea. Era un Utilizzatore senza altre linee: il suo accesso è stato disabilitato e le sue sessioni sono state chiuse. Se deve continuare ad accedere, riabilitalo da Gestione Utenze.",
            u.name, u.username
        ),
        Some(u) => format!(
            "L'utente {} (username {}) non è più associato alla linea; il suo accesso resta attivo con lo stesso profilo.",
            u.name, u.username
        ),
    });
    paragraphs
        .push("Se pensi che si tratti di un errore, chiama il Servizio Clienti 191.".to_owned());
    notice(
        first_name,
        company,
        &format!("Area Clienti: linea {number} non più attiva"),
        &paragraphs,
        None,
    )
}

/// To the previous legal representative, after the handover.
pub fn legal_representative_left_email(
    first_name: &str,
    company: &str,
    new_name: &str,
    now_admin_full: bool,
) -> RenderedEmail {
    let became = if now_admin_full {
        "Da ora il tuo profilo è Amministratore Full: accedi di nuovo con la tua username e password."
    } else {
        "Il tuo accesso all'Area Clienti è stato disabilitato."
    };
    let paragraphs = [
        format!(
            "come previsto dal contratto, il Rappresentante Legale dell'azienda {company} è ora {new_name}."
        ),
        format!("{became} Le tue sessioni aperte sono state chiuse."),
        "Se non ti aspettavi questa modifica, chiama il Servizio Clienti 191.".to_owned(),
    ];
    notice(
        first_name,
        company,
        "Area Clienti: nuovo Rappresentante Legale",
        &paragraphs,
        None,
    )
}

/// To a user of the company who already had an active account and is now its legal
/// representative (one without an active account gets the username e-mail instead).
pub fn legal_representative_promoted_email(
    first_name: &str,
    company: &str,
    username: &str,
) -> RenderedEmail {
    let paragraphs = [
        format!(
            "come previsto dal contratto, da ora sei il Rappresentante Legale dell'azienda {company} nell'Area Clienti."
        ),
        format!(
            "Accedi di nuovo con la tua username {username} e la tua password: in Gestione Utenze gestisci gli utenti e le linee dell'azienda."
        ),
        "Se non ti aspettavi questa modifica, chiama il Servizio Clienti 191.".to_owned(),
    ];
    notice(
        first_name,
        company,
        "Area Clienti: sei il Rappresentante Legale",
        &paragraphs,
        None,
    )
}

/// To the legal representative, every `ACCESS_REVIEW_DAYS`: review who still has access.
pub fn access_review_email(
    first_name: &str,
    company: &str,
    link: &str,
    days: i64,
) -> RenderedEmail {
    let paragraphs = [
        format!(
            "è il momento di verificare chi ha ancora accesso all'Area Clienti dell'azienda {company}: te lo chiediamo ogni {days} giorni."
        ),
        "Nella pagina di revisione trovi ogni utente con profilo, linea, stato e ultimo accesso; ti segnaliamo chi non ha mai attivato l'accesso e chi non accede da tempo. Conferma chi deve restare e disabilita gli altri, con un solo invio.".to_owned(),
    ];
    notice(
        first_name,
        company,
        "Area Clienti: revisione degli accessi",
        &paragraphs,
        Some(("Apri la revisione degli accessi", link)),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_line_notice_names_the_line_the_company_and_the_user() {
        let user = UntiedUser {
            name: "Luca Bianchi",
            username: "luca.bianchi@example.it",
            disabled: true,
        };
        let email = line_ceased_email(
            "Maria",
            "Rossi Impianti S.r.l.",
            "+39 340 111 2233",
            "è cessata",
            Some(&user),
        );
        for part in [&email.text, &email.html] {
            for shown in [
                "+39 340 111 2233",
                "Rossi Impianti S.r.l.",
                "Luca Bianchi",
                "luca.bianchi@example.it",
                "disabilitato",
            ] {
                assert!(part.contains(shown), "{shown} in {part}");
            }
        }
    }
}
