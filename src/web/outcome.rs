//! The outcome texts the portal shows after an action (notices, flash messages), in one
//! place; every lifetime they quote is derived from its constant via [`in_words`].

use std::sync::LazyLock;

use crate::clock::in_words;
use crate::credentials::{CODE_LIFETIME, RECOVERY_LINK_LIFETIME};

// Recupero, reinvio, attivazione, assistenza

static RECOVERY_SENT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Se i dati corrispondono a un account dell'Area Clienti, riceverai a breve una e-mail con il link per scegliere una nuova password. Il link è valido {}. Se non hai ancora attivato l'accesso, riceverai invece la e-mail con la username.",
        in_words(RECOVERY_LINK_LIFETIME)
    )
});

/// After a Recupera Password request: the same whether or not the account exists.
pub fn recovery_sent() -> &'static str {
    RECOVERY_SENT.as_str()
}

/// After a "chiedi nuovamente l'invio" request: the same whether or not the account exists.
pub const RESEND_SENT: &str = "Se l'indirizzo corrisponde a un account dell'Area Clienti, riceverai a breve una e-mail: con la username e il link di attivazione se non hai ancora attivato l'accesso, oppure con la username e il link per scegliere una nuova password se l'accesso è già attivo. I link precedenti non funzionano più.";

/// After a verification code was sent, by SMS to the masked number or by e-mail.
pub fn code_sent(masked_mobile: Option<&str>) -> String {
    match masked_mobile {
        Some(m) => format!("Ti abbiamo inviato il codice di verifica via SMS al numero {m}."),
        None => "Ti abbiamo inviato il codice di verifica via e-mail.".to_owned(),
    }
}

/// How long a code lives, as the link page quotes it ("valido 10 minuti").
pub fn code_lifetime() -> String {
    in_words(CODE_LIFETIME)
}

/// The support flash after "Reinvia credenziali".
pub const SUPPORT_RESENT: &str =
    "Credenziali inviate di nuovo all'indirizzo registrato; l'utente riceve anche un avviso.";
