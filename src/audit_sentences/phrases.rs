//! The sentence of each action. One arm per `AuditAction` (the match is exhaustive): what
//! the actor did, to whom, and the details that matter, in words.

use serde_json::Value;

use super::{Doer, Event, changes, flag, number, text};
use crate::domain::{AuditAction, MessageKind, Profile};

/// Who the sentence is about, and who opens it.
struct Parties {
    /// The subject ("Luca Bianchi"), or "un utente".
    whom: String,
    /// The actor opening the sentence: a name, "Il Servizio Clienti 191", "Il sistema".
    doer: String,
    /// The subject acted on themselves (through a link, a public page, or logged in).
    by_themselves: bool,
}

impl Parties {
    fn of(event: &Event<'_>) -> Parties {
        let whom = event
            .subject
            .map(super::Person::display)
            .unwrap_or_else(|| "un utente".to_owned());
        let (doer, by_themselves) = match event.doer {
            Doer::User(p) if event.on_self => (p.display(), true),
            Doer::User(p) => (p.display(), false),
            Doer::Staff => ("Il Servizio Clienti 191".to_owned(), false),
            Doer::System => ("Il sistema".to_owned(), false),
            Doer::Visitor => (whom.clone(), true),
        };
        Parties {
            whom,
            doer,
            by_themselves,
        }
    }

    /// "{subject} {own}" when they acted themselves, else "{actor} {other}".
    fn own(&self, own: &str, other: impl FnOnce(&str) -> String) -> String {
        if self.by_themselves {
            format!("{} {own}", self.whom)
        } else {
            format!("{} {}", self.doer, other(&self.whom))
        }
    }

    /// "{actor} {rest}", whoever acted.
    fn did(&self, rest: String) -> String {
        format!("{} {rest}", self.doer)
    }
}

/// ": detail" when there is one.
fn colon(detail: String) -> String {
    if detail.is_empty() {
        detail
    } else {
        format!(": {detail}")
    }
}

fn to_address(d: &Value) -> String {
    text(d, "email")
        .map(|e| format!(" (a {e})"))
        .unwrap_or_default()
}

fn reason(d: &Value) -> String {
    text(d, "motivo")
        .map(|m| format!("; motivo: «{m}»"))
        .unwrap_or_default()
}

fn count(n: i64, one: &str, many: &str) -> String {
    if n == 1 {
        format!("1 {one}")
    } else {
        format!("{n} {many}")
    }
}

fn factor(d: &Value) -> &'static str {
    match text(d, "fattore") {
        Some("app") => " con l'app di autenticazione",
        Some("passkey") => " con una passkey",
        Some("sms") => " con un codice via SMS",
        Some("codice_recupero") => " con un codice di recupero",
        _ => "",
    }
}

fn channel(d: &Value) -> &'static str {
    match text(d, "canale") {
        Some("sms") => " via SMS",
        Some("email") => " via e-mail",
        _ => "",
    }
}

/// "l'indirizzo e-mail" / "il cellulare" of a pending contact change.
fn contact(d: &Value) -> &'static str {
    match text(d, "contatto") {
        Some("email") => "l'indirizzo e-mail",
        Some("mobile") => "il cellulare",
        _ => "un contatto",
    }
}

fn profile_of(event: &Event<'_>) -> String {
    event
        .subject
        .and_then(|s| s.profile)
        .map(|p| format!(" ({})", p.label()))
        .unwrap_or_default()
}

/// "dell'indirizzo e-mail" / "del cellulare".
fn of_contact(d: &Value) -> &'static str {
    match text(d, "contatto") {
        Some("email") => "dell'indirizzo e-mail",
        Some("mobile") => "del cellulare",
        _ => "di un contatto",
    }
}

/// The sentence of `event`.
pub(super) fn sentence(event: &Event<'_>) -> String {
    use AuditAction as A;
    let d = event.details;
    let p = Parties::of(event);
    let whom = p.whom.as_str();
    match event.action {
        A::Login => p.own(&format!("ha effettuato l'accesso{}", factor(d)), |w| {
            format!("ha effettuato l'accesso come {w}{}", factor(d))
        }),
        A::LoginFailed => format!("Accesso non riuscito per {whom}: password errata"),
        A::SecondFactorWrong => {
            format!("Accesso non riuscito per {whom}: codice del secondo fattore errato")
        }
        A::Reauthenticated => p.own("ha confermato la propria identità con la password", |w| {
            format!("ha confermato l'identità di {w}")
        }),
        A::ReauthenticationFailed => {
            format!("Conferma dell'identità non riuscita per {whom}: password errata")
        }
        A::ContractRecorded => contract(&p, d),
        A::UsernameEmailSent => p.own(
            &format!(
                "ha chiesto di nuovo la e-mail con la username{}",
                to_address(d)
            ),
            |w| format!("ha inviato a {w} la e-mail con la username{}", to_address(d)),
        ),
        A::UsernameEmailResent => p.did(format!("ha inviato di nuovo a {whom} la e-mail con la username")),
        A::CodeSent => p.own(
            &format!("ha chiesto il codice di verifica{}", channel(d)),
            |w| format!("ha inviato a {w} il codice di verifica{}", channel(d)),
        ),
        A::CodeVerified => p.own("ha inserito il codice di verifica corretto", |w| {
            format!("ha confermato il codice di verifica di {w}")
        }),
        A::CodeWrong => format!("{whom} ha inserito un codice di verifica errato"),
        A::AccountActivated => format!("{whom} ha scelto la password e attivato l'accesso"),
        A::PasswordReset => format!("{whom} ha scelto una nuova password con Recupera Password"),
        A::PasswordChanged => p.own("ha cambiato la password", |w| {
            format!("ha cambiato la password di {w}")
        }),
        A::ContactsChanged => p.own(
            &format!("ha cambiato i propri contatti{}", colon(changes(d))),
            |w| format!("ha cambiato i contatti di {w}{}", colon(changes(d))),
        ),
        A::RecoveryRequested => p.own(
            "ha chiesto di recuperare la password: inviata la e-mail con il link",
            |w| format!("ha inviato a {w} la e-mail per recuperare la password"),
        ),
        A::CredentialsReminderSent => p.own(
            "ha chiesto di nuovo le credenziali: inviato il promemoria con la username",
            |w| format!("ha inviato a {w} il promemoria con la username e il link per scegliere la password"),
        ),
        A::SupportResentCredentials => p.did(format!(
            "ha inviato di nuovo le credenziali a {whom}{}{}",
            to_address(d),
            reason(d)
        )),
        A::SupportRequeuedMessage => {
            let kind = text(d, "tipo")
                .and_then(MessageKind::parse)
                .map(|k| format!(" («{}»)", k.label()))
                .unwrap_or_default();
            p.did(format!(
                "ha inviato di nuovo a {whom} un messaggio non consegnato{kind}{}",
                to_address(d)
            ))
        }
        A::UserAdded => user_added(&p, d),
        A::UserChanged => match changes(d) {
            c if c.is_empty() => p.did(format!("ha confermato i dati di {whom} senza modifiche")),
            c => p.did(format!("ha modificato {whom}: {c}")),
        },
        A::UserRegistered => p.did(format!("ha registrato {whom}{}", profile_of(event))),
        A::UserDisabled => {
            let why = match text(d, "motivo") {
                Some("revisione_accessi") => " durante la revisione degli accessi".to_owned(),
                Some("linea_cessata") => match text(d, "numero") {
                    Some(n) => format!(" perché la linea {n} non è più attiva"),
                    None => " perché la sua linea non è più attiva".to_owned(),
                },
                _ => String::new(),
            };
            p.did(format!("ha disabilitato {whom}{why}{}", colon(changes(d))))
        }
        A::UserReenabled => p.did(format!("ha riabilitato {whom}{}", colon(changes(d)))),
        A::LineUpdated => {
            let line = text(d, "linea").unwrap_or("senza numero");
            let referent = if flag(d, "da_referente") {
                " con i dati del referente indicato nel contratto"
            } else {
                ""
            };
            p.did(format!(
                "ha associato la linea {line} a {whom}{referent}{}",
                colon(changes(d))
            ))
        }
        A::StaffLogin if flag(d, "solo_attivazione") => {
            "Un operatore del Servizio Clienti 191 è entrato per attivare l'app di autenticazione".to_owned()
        }
        A::StaffLogin => format!("Un operatore del Servizio Clienti 191 ha effettuato l'accesso{}", factor(d)),
        A::StaffLoginFailed => "Accesso di un operatore del Servizio Clienti 191 non riuscito".to_owned(),
        A::StaffDisabled => "Un operatore del Servizio Clienti 191 è stato disabilitato".to_owned(),
        A::StaffFactorsReset => {
            "I fattori di accesso di un operatore del Servizio Clienti 191 sono stati azzerati".to_owned()
        }
        A::AppEnrolled => p.own("ha attivato l'app di autenticazione", |w| {
            format!("ha attivato l'app di autenticazione di {w}")
        }),
        A::AppRemoved => p.own("ha rimosso l'app di autenticazione", |w| {
            format!("ha rimosso l'app di autenticazione di {w}")
        }),
        A::RecoveryCodesIssued => p.own("ha ricevuto nuovi codici di recupero", |w| {
            format!("ha generato nuovi codici di recupero per {w}")
        }),
        A::FactorsReset => {
            let sessions = number(d, "sessioni")
                .filter(|n| *n > 0)
                .map(|n| format!("; {} chiuse", count(n, "sessione", "sessioni")))
                .unwrap_or_default();
            p.did(format!("ha azzerato i fattori di accesso di {whom}{sessions}{}", reason(d)))
        }
        A::ContactChangeRequested => {
            let new = text(d, "nuovo").map(|n| format!(" in {n}")).unwrap_or_default();
            p.own(
                &format!("ha chiesto di cambiare {}{new}: in attesa di conferma", contact(d)),
                |w| format!("ha chiesto di cambiare {} di {w}{new}: in attesa di conferma", contact(d)),
            )
        }
        A::ContactChangeCodeWrong => {
            format!("{whom} ha inserito un codice errato per confermare il nuovo cellulare")
        }
        A::ContactChangeCancelled => match text(d, "motivo") {
            Some("tentativi_esauriti") => format!(
                "Cambio {} di {whom} annullato: troppi codici errati",
                of_contact(d)
            ),
            _ => p.own(&format!("ha annullato il cambio {}", of_contact(d)), |w| {
                format!("ha annullato il cambio {} di {w}", of_contact(d))
            }),
        },
        A::PasskeyAdded => p.own("ha aggiunto una passkey", |w| format!("ha aggiunto una passkey a {w}")),
        A::PasskeyRemoved => p.own("ha rimosso una passkey", |w| format!("ha rimosso una passkey di {w}")),
        A::SessionEnded => p.own("ha chiuso una delle proprie sessioni", |w| {
            format!("ha chiuso una sessione di {w}")
        }),
        A::OtherSessionsEnded => {
            let n = number(d, "sessioni")
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            p.own(&format!("ha chiuso le altre sessioni aperte{n}"), |w| {
                format!("ha chiuso le altre sessioni di {w}{n}")
            })
        }
        A::UserSessionsEnded => {
            let n = number(d, "sessioni")
                .map(|n| format!(" ({n})"))
                .unwrap_or_default();
            p.did(format!("ha chiuso le sessioni aperte di {whom}{n}"))
        }
        A::LineCeased => line_ceased(&p, event, d),
        A::LegalRepresentativeChanged => {
            let promoted = if flag(d, "promosso") {
                " (era già un utente dell'azienda)"
            } else {
                ""
            };
            p.did(format!("ha registrato {whom} come nuovo Rappresentante Legale{promoted}"))
        }
        A::LegalRepresentativeReplaced => {
            let now = match text(d, "previous") {
                Some("amministratore_full") => {
                    format!(": ora è {}", Profile::AdminFull.label())
                }
                Some("disabilitato") => ": l'utente è disabilitato".to_owned(),
                _ => String::new(),
            };
            p.did(format!("ha registrato che {whom} non è più Rappresentante Legale{now}"))
        }
        A::CompanyClosed => {
            let mut what = Vec::new();
            if let Some(n) = number(d, "utenti_disabilitati") {
                what.push(count(n, "utente disabilitato", "utenti disabilitati"));
            }
            if let Some(n) = number(d, "linee_cessate") {
                what.push(count(n, "linea cessata", "linee cessate"));
            }
            p.did(format!(
                "ha registrato la cessazione dell'azienda{}",
                colon(what.join(", "))
            ))
        }
        A::PersonalDataErased => {
            let after = number(d, "giorni_conservazione")
                .map(|g| format!(" dopo {} di conservazione", count(g, "giorno", "giorni")))
                .unwrap_or_default();
            p.did(format!("ha cancellato i dati personali dell'azienda{after}"))
        }
        A::AccessReviewed => {
            let mut what = Vec::new();
            if let Some(n) = number(d, "confermati") {
                what.push(count(n, "utente confermato", "utenti confermati"));
            }
            if let Some(n) = number(d, "disabilitati") {
                what.push(count(n, "disabilitato", "disabilitati"));
            }
            p.did(format!(
                "ha completato la revisione degli accessi{}",
                colon(what.join(", "))
            ))
        }
    }
}

fn contract(p: &Parties, d: &Value) -> String {
    let id = text(d, "contract_id")
        .map(|c| format!(" {c}"))
        .unwrap_or_default();
    let channel = text(d, "channel")
        .map(|c| format!(" (canale «{c}»)"))
        .unwrap_or_default();
    let lines = match number(d, "lines_added") {
        Some(0) => ": nessuna linea mobile nuova".to_owned(),
        Some(n) => format!(
            ": {}",
            count(n, "linea mobile aggiunta", "linee mobili aggiunte")
        ),
        None => String::new(),
    };
    p.did(format!("ha registrato il contratto{id}{channel}{lines}"))
}

fn user_added(p: &Parties, d: &Value) -> String {
    let profile = d
        .get("dopo")
        .and_then(|a| a.get("profile"))
        .and_then(Value::as_str)
        .and_then(Profile::parse)
        .map(|p| format!(" come {}", p.label()))
        .unwrap_or_default();
    let mut shown = changes(&serde_json::json!({
        "dopo": { "email": d.pointer("/dopo/email"), "mobile": d.pointer("/dopo/mobile") }
    }));
    if let Some(username) = text(d, "username") {
        if !shown.is_empty() {
            shown.push_str("; ");
        }
        shown.push_str(&format!("username: {username}"));
    }
    p.did(format!("ha aggiunto {}{profile}{}", p.whom, colon(shown)))
}

fn line_ceased(p: &Parties, event: &Event<'_>, d: &Value) -> String {
    let number = text(d, "numero").unwrap_or("dell'azienda");
    let what = match text(d, "motivo") {
        Some("portabilita_uscente") => {
            format!("il passaggio della linea {number} a un altro operatore")
        }
        _ => format!("la cessazione della linea {number}"),
    };
    let user = match event.subject {
        Some(_) if flag(d, "utente_disabilitato") => {
            format!(", associata a {}, ora disabilitato", p.whom)
        }
        Some(_) => format!(", associata a {}", p.whom),
        None => String::new(),
    };
    p.did(format!("ha registrato {what}{user}"))
}
