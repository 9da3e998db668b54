//! The outcome and flash messages of the portal, in one place: what a user reads after an
//! action. Durations they quote come from the lifetime constants (`crate::clock::in_words`).

// Gestione Utenze

use crate::user_management::Registered;

pub const USER_REGISTERED: &str =
    "Registrazione avviata: l'utente riceverà la e-mail con la username.";
pub const USERNAME_EMAIL_RESENT: &str =
    "E-mail con la username inviata di nuovo: i link precedenti non funzionano più.";
pub const USER_DISABLED: &str = "Utente disabilitato: non può più accedere.";
pub const USER_REENABLED: &str = "Utente riabilitato.";
pub const NOTHING_SELECTED: &str = "Nessuna riga selezionata.";
pub const USER_ADDED_AND_REGISTERED: &str =
    "Utente aggiunto e registrato: riceverà la e-mail con la username.";
pub const USER_ADDED: &str = "Utente aggiunto: lo trovi nell'elenco come «Da registrare».";
pub const LINE_SAVED: &str =
    "Dati salvati. Seleziona la linea e clicca «Registra» per inviare la e-mail con la username.";
pub const USER_MODIFIED: &str = "Modifiche salvate.";

/// After "Registra i selezionati": how many got the email, and the lines left to complete.
pub fn registered_selected(done: &Registered) -> String {
    let mut message = format!(
        "Registrazione avviata per {} utenti: riceveranno la e-mail con la username.",
        done.sent
    );
    if !done.skipped.is_empty() {
        message.push_str(&format!(
            " Da completare con «Aggiorna» (dati mancanti o username già in uso): {}.",
            done.skipped.join(", ")
        ));
    }
    message
}

// Servizio Clienti 191 (the console's own actions)

pub const SUPPORT_CREDENTIALS_RESENT: &str =
    "Credenziali inviate di nuovo all'indirizzo registrato; l'utente riceve anche un avviso.";
/// Next to the reason field of the console's Reinvia.
pub const SUPPORT_REASON_REQUIRED: &str =
    "Indica il motivo o il numero del ticket (da 3 a 200 caratteri).";
