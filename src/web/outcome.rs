//! The outcome and flash messages of the portal, in one place: what a user reads after an
//! action. Every lifetime they quote is derived from its constant via [`in_words`].

use std::sync::LazyLock;

use crate::clock::in_words;
use crate::credentials::recovery::EMAIL_LIMIT;
use crate::credentials::{CODE_LIFETIME, RECOVERY_LINK_LIFETIME};
use crate::user_management::Registered;

// Recupero, reinvio, attivazione, assistenza

/// What the answer says of the cap on these e-mails ([`EMAIL_LIMIT`], per account): a
/// request over it is answered the same and sends nothing, so the answer says so.
fn email_cap() -> String {
    let per_minute = match EMAIL_LIMIT.per_minute {
        1 => "un messaggio al minuto".to_owned(),
        n => format!("{n} messaggi al minuto"),
    };
    format!(
        "Per proteggere il tuo account inviamo al massimo {per_minute} e {} in un'ora: se l'hai appena richiesto, controlla la posta (anche la cartella della posta indesiderata) prima di riprovare.",
        EMAIL_LIMIT.per_hour
    )
}

static RECOVERY_SENT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Se i dati corrispondono a un'utenza dell'Area Clienti, riceverai un'e-mail entro pochi minuti: con il link per scegliere una nuova password (valido {}) oppure, se non hai ancora attivato l'accesso, con la username. {}",
        in_words(RECOVERY_LINK_LIFETIME),
        email_cap()
    )
});

/// After a Recupera Password request: the same whether or not the account exists.
pub fn recovery_sent() -> &'static str {
    RECOVERY_SENT.as_str()
}

static RESEND_SENT: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Se l'indirizzo corrisponde a un'utenza dell'Area Clienti, riceverai un'e-mail entro pochi minuti: con la username e il link di attivazione se non hai ancora attivato l'accesso, oppure con la username e il link per scegliere una nuova password se l'accesso è già attivo. Con la nuova e-mail i link delle precedenti non funzionano più. {}",
        email_cap()
    )
});

/// After a "chiedi nuovamente l'invio" request: the same whether or not the account exists.
pub fn resend_sent() -> &'static str {
    RESEND_SENT.as_str()
}

/// After the password chosen at activation: how the person logs in from now on.
pub fn account_activated(username: &str) -> String {
    format!(
        "Accesso attivato. Da ora entri nell'Area Clienti con la username {username} e la password che hai scelto."
    )
}

/// After a new password from Recupera Password.
pub const PASSWORD_RESET: &str =
    "Password aggiornata: da ora usa quella nuova. Le altre sessioni aperte sono state chiuse.";

/// After the own password change (Profilo → Cambia password).
pub const PASSWORD_CHANGED: &str = "Password cambiata: da ora usa quella nuova. Le altre sessioni aperte sono state chiuse; questa resta aperta.";

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

// Gestione Utenze

/// Who an action of Gestione Utenze was about, as its message names them.
pub struct Whom<'a> {
    pub name: &'a str,
    pub email: &'a str,
}

fn activation_validity() -> String {
    in_words(crate::credentials::ACTIVATION_LINK_LIFETIME)
}

/// After Registra on one user.
pub fn user_registered(whom: &Whom) -> String {
    format!(
        "Registrazione avviata: abbiamo inviato a {} ({}) l'e-mail con la username e il link di attivazione, valido {}.",
        whom.name,
        whom.email,
        activation_validity()
    )
}

/// After Reinvia.
pub fn username_email_resent(whom: &Whom) -> String {
    format!(
        "Abbiamo inviato di nuovo a {} ({}) l'e-mail con la username: il link di attivazione vale {} e quelli delle e-mail precedenti non funzionano più.",
        whom.name,
        whom.email,
        activation_validity()
    )
}

/// After Disabilita (confirmed).
pub fn user_disabled(whom: &Whom) -> String {
    format!(
        "Utenza di {} disabilitata: non può più accedere, le sessioni aperte sono terminate e i link ricevuti non funzionano più. Puoi riabilitarla quando vuoi.",
        whom.name
    )
}

/// After Riabilita: active again with the old password, or back to be registered.
pub fn user_reenabled(whom: &Whom, can_log_in: bool) -> String {
    if can_log_in {
        format!(
            "Utenza di {} riabilitata: può accedere di nuovo con la sua password.",
            whom.name
        )
    } else {
        format!(
            "Utenza di {} riabilitata: non aveva ancora scelto una password, quindi è di nuovo «Da registrare». Clicca «Registra» per inviarle la username.",
            whom.name
        )
    }
}

pub const NOTHING_SELECTED: &str = "Nessuna riga selezionata.";

/// After Aggiungi: registered at once, or saved for later.
pub fn user_added(whom: &Whom, registered: bool) -> String {
    if registered {
        format!(
            "Utenza di {} aggiunta e registrata: abbiamo inviato a {} l'e-mail con la username e il link di attivazione, valido {}.",
            whom.name,
            whom.email,
            activation_validity()
        )
    } else {
        format!(
            "Utenza di {} aggiunta: la trovi nell'elenco come «Da registrare». Clicca «Registra» quando vuoi inviarle la username.",
            whom.name
        )
    }
}

/// After Aggiorna on a line.
pub fn line_saved(whom: &Whom, number: &str) -> String {
    format!(
        "Dati della linea {number} salvati per {}. Clicca «Registra» sulla riga per inviare la e-mail con la username.",
        whom.name
    )
}

/// After Modifica: what was saved, and the e-mails it sent.
pub fn user_modified(whom: &Whom, username_email_resent: bool, old_address_told: bool) -> String {
    let mut message = format!("Modifiche a {} salvate.", whom.name);
    if username_email_resent {
        message.push_str(&format!(
            " Abbiamo inviato una nuova e-mail con la username a {}: i link delle e-mail precedenti non funzionano più.",
            whom.email
        ));
    }
    if old_address_told {
        message.push_str(
            " Abbiamo avvisato l'utente del cambio dei contatti all'indirizzo e-mail di prima.",
        );
    }
    message
}

/// After «Azzera i fattori di accesso».
pub fn factors_reset(whom: &Whom) -> String {
    format!(
        "Fattori di accesso di {} azzerati: è stato disconnesso e riceverà a {} una e-mail con il link per attivarne di nuovi.",
        whom.name, whom.email
    )
}

/// After the confirmation of a CSV import: how many users were added, whether they got the
/// username e-mail, and how many rows were no longer valid.
pub fn users_imported(imported: usize, skipped: usize, registered: bool) -> String {
    let mut message = match (imported, registered) {
        (0, _) => "Nessuna utenza importata.".to_owned(),
        (1, true) => {
            "Importata 1 utenza: abbiamo inviato l'e-mail con la username a 1 persona.".to_owned()
        }
        (n, true) => {
            format!("Importate {n} utenze: abbiamo inviato l'e-mail con la username a {n} persone.")
        }
        (1, false) => "Importata 1 utenza: la trovi nell'elenco come «Da registrare».".to_owned(),
        (n, false) => format!("Importate {n} utenze: le trovi nell'elenco come «Da registrare»."),
    };
    match skipped {
        0 => {}
        1 => message.push_str(
            " 1 riga non è stata importata perché nel frattempo non era più valida (ad esempio la username è stata usata): carica di nuovo il file per vedere l'errore.",
        ),
        n => message.push_str(&format!(
            " {n} righe non sono state importate perché nel frattempo non erano più valide (ad esempio una username è stata usata): carica di nuovo il file per vedere gli errori."
        )),
    }
    message
}
pub const IMPORT_ALREADY_CONFIRMED: &str =
    "Questa importazione era già stata salvata: non abbiamo aggiunto nulla di nuovo.";
pub const IMPORT_PREVIEW_EXPIRED: &str =
    "L'anteprima è scaduta (vale 30 minuti) e non abbiamo salvato nulla: carica di nuovo il file.";

/// After "Registra i selezionati": how many got the email, and the lines left to complete.
pub fn registered_selected(done: &Registered) -> String {
    let mut message = format!(
        "Registrazione avviata per {} utenti: riceveranno la e-mail con la username.",
        done.sent
    );
    if !done.skipped.is_empty() {
        message.push_str(&format!(
            " Da completare con «Aggiorna» (dati mancanti o username già in uso): {}.",
            done.skipped
                .iter()
                .map(crate::domain::PhoneNumber::grouped)
                .collect::<Vec<_>>()
                .join(", ")
        ));
    }
    message
}

// Servizio Clienti 191 (the console's own actions)

pub const SUPPORT_CREDENTIALS_RESENT: &str =
    "Credenziali inviate di nuovo all'indirizzo registrato; l'utente riceve anche un avviso.";
/// After the sheet's "Invia di nuovo" of a failed or expired message.
pub const SUPPORT_MESSAGE_REQUEUED: &str = "Nuovo messaggio in invio all'indirizzo registrato, con un link nuovo: quello non consegnato non vale più.";
/// Next to the reason field of the console's Reinvia.
pub const SUPPORT_REASON_REQUIRED: &str =
    "Indica il motivo o il numero del ticket (da 3 a 200 caratteri).";

// Accesso e sicurezza

/// A wait in whole minutes, as the throttle messages quote it: "1 minuto", "3 minuti".
fn wait_in_words(wait_secs: u64) -> String {
    let minutes = wait_secs.div_ceil(60);
    format!(
        "{minutes} {}",
        if minutes == 1 { "minuto" } else { "minuti" }
    )
}

/// A login refused by the throttle (password or second step).
pub fn login_throttled(wait_secs: u64) -> String {
    format!(
        "Troppi tentativi di accesso non riusciti. Riprova tra {} oppure usa Recupera Password.",
        wait_in_words(wait_secs)
    )
}

/// Next to the current password of an own-account or Sicurezza form.
pub const WRONG_CURRENT_PASSWORD: &str = "La password attuale non è corretta.";

/// Next to the current password, when re-entering it is throttled.
pub fn current_password_throttled(wait_secs: u64) -> String {
    format!(
        "Troppi tentativi con la password attuale sbagliata. Riprova tra {}.",
        wait_in_words(wait_secs)
    )
}

pub const LOGIN_SMS_TOO_SOON: &str = "Ti abbiamo appena inviato alcuni codici: attendi un minuto prima di chiederne un altro (al massimo 10 in un'ora). Usa l'ultimo che hai ricevuto.";

fn tries_left_in_words(tries_left: u8) -> String {
    if tries_left == 1 {
        "Ti resta 1 tentativo".to_owned()
    } else {
        format!("Ti restano {tries_left} tentativi")
    }
}

/// Next to the code of `/accedi/verifica` after a wrong one.
pub fn wrong_second_factor(tries_left: u8) -> String {
    let tries = tries_left_in_words(tries_left);
    format!(
        "Codice non corretto o già usato. Inserisci il codice che vedi ora nell'app o l'ultimo ricevuto via SMS, oppure un codice di recupero. {tries}."
    )
}

/// Next to the code of `/assistenza/accedi/verifica` after a wrong one (no SMS for staff).
pub fn wrong_staff_code(tries_left: u8) -> String {
    let tries = tries_left_in_words(tries_left);
    format!(
        "Codice non corretto o già usato. Inserisci il codice che vedi ora nell'app di autenticazione, oppure un codice di recupero. {tries}."
    )
}

/// A staff login refused by the throttle at the second step (staff have no Recupera Password).
pub fn staff_login_throttled(wait_secs: u64) -> String {
    format!(
        "Troppi tentativi di accesso non riusciti. Riprova tra {}.",
        wait_in_words(wait_secs)
    )
}

/// An operator's enrolment found an app enrolled meanwhile (from another browser): this
/// session proved only the password, so it ends.
pub const STAFF_APP_ALREADY_ENROLLED: &str = "L'app di autenticazione risulta già attivata: accedi di nuovo e inserisci il codice che l'app mostra.";

pub const LOGIN_STEP_ENDED: &str = "Troppi codici non corretti: per sicurezza l'accesso è stato annullato. Accedi di nuovo con username e password.";
static LOGIN_STEP_EXPIRED: LazyLock<String> = LazyLock::new(|| {
    format!(
        "Sono passati più di {} dall'inserimento della password: accedi di nuovo.",
        in_words(crate::auth::second_step::PENDING_LIFETIME)
    )
});
/// The pending login expired (or never began) before the code was typed.
pub fn login_step_expired() -> &'static str {
    LOGIN_STEP_EXPIRED.as_str()
}
pub const APP_ENROLLED: &str =
    "App di autenticazione attivata: da ora all'accesso ti chiederemo anche il codice dell'app.";
pub const APP_REMOVED: &str = "App di autenticazione rimossa, insieme ai codici di recupero.";

// Fattori azzerati, contatti da confermare (issue 12)

/// At the login of an account whose factors were reset, when the password alone would
/// have to enrol a new one.
pub const REENROL_BY_LINK: &str = "I tuoi fattori di accesso sono stati azzerati: per attivarne uno nuovo apri il link che ti abbiamo inviato per e-mail (ti chiederemo un codice di verifica). Se il link è scaduto, usa Recupera Password.";
/// On Sicurezza, the same: a new factor only after the e-mailed link + code.
pub const ENROL_AFTER_RESET_BY_LINK: &str = "I tuoi fattori di accesso sono stati azzerati: per attivarne uno nuovo apri il link che ti abbiamo inviato per e-mail. Se il link è scaduto, usa Recupera Password.";
/// The console, after a reset of a user's factors.
pub const SUPPORT_FACTORS_RESET: &str = "Fattori di accesso azzerati: l'utente è stato disconnesso e riceve una e-mail con il link per attivarne di nuovi.";
/// The console: only an active account has factors to reset.
pub const SUPPORT_FACTORS_NOT_RESETTABLE: &str =
    "Nessun azzeramento: l'account non è attivo, quindi non ha fattori di accesso.";
/// Next to the console's «motivo» of a reset.
pub const SUPPORT_RESET_REASON_REQUIRED: &str = "Indica il motivo dell'azzeramento (ad esempio «telefono perso, identità verificata», da 1 a 500 caratteri).";

/// After the contacts form, for what now waits for its proof.
pub fn contact_change_requested(email_link: bool, mobile_code: bool) -> String {
    let mut parts = Vec::new();
    if mobile_code {
        parts.push(format!(
            "Ti abbiamo inviato un codice via SMS al nuovo numero: inseriscilo qui sotto entro {}.",
            in_words(CODE_LIFETIME)
        ));
    }
    if email_link {
        parts.push(format!(
            "Ti abbiamo inviato un link al nuovo indirizzo e-mail: aprilo entro {} per confermarlo.",
            in_words(crate::credentials::EMAIL_CHANGE_LINK_LIFETIME)
        ));
    }
    parts.push("Fino alla conferma continuiamo a usare i contatti di prima.".to_owned());
    parts.join(" ")
}
pub const MOBILE_REMOVED: &str =
    "Cellulare rimosso: da ora i codici di verifica ti arrivano via e-mail.";
pub const MOBILE_CONFIRMED: &str = "Nuovo cellulare confermato: da ora i codici arrivano lì.";
pub const EMAIL_CONFIRMED: &str = "Nuovo indirizzo e-mail confermato: da ora ti scriviamo lì.";
pub const CONTACT_CHANGE_CANCELLED: &str =
    "Modifica annullata: i contatti restano quelli di prima.";
/// The general cap on requests from one address (`web::kit::client_limit`).
pub const CLIENT_LIMITED: &str = "Dal tuo indirizzo sono arrivate troppe richieste in poco tempo. Attendi qualche secondo e riprova: i dati inseriti non sono stati registrati.";

pub const CONTACT_CHANGE_TOO_MANY: &str =
    "Hai chiesto troppe modifiche dei contatti in poco tempo: riprova tra qualche minuto.";
pub const MOBILE_CODE_EXHAUSTED: &str = "Hai sbagliato il codice troppe volte: la modifica è annullata. Inserisci di nuovo il nuovo numero per ricevere un altro codice.";
pub const MOBILE_CODE_EXPIRED: &str =
    "Il codice è scaduto: inserisci di nuovo il nuovo numero per riceverne un altro.";
pub const MOBILE_NOTHING_PENDING: &str = "Non c'è nessun nuovo cellulare da confermare.";
/// Next to the code of a new mobile after a wrong one.
pub fn wrong_mobile_code(remaining: i32) -> String {
    if remaining == 1 {
        "Codice errato. Hai ancora 1 tentativo.".to_owned()
    } else {
        format!("Codice errato. Hai ancora {remaining} tentativi.")
    }
}
pub const PASSKEY_ADDED: &str =
    "Passkey aggiunta: da ora puoi accedere con la passkey, senza scrivere username e password.";
pub const PASSKEY_REMOVED: &str = "Passkey rimossa.";
/// The browser's answer did not prove a passkey (an unknown one, a failed check).
pub const PASSKEY_REFUSED: &str =
    "Non è stato possibile verificare la passkey. Riprova, oppure accedi con username e password.";
pub const PASSKEY_ALREADY_REGISTERED: &str =
    "Questa passkey è già registrata. Se vuoi, aggiungine una su un altro dispositivo.";
/// The page waited too long, or was opened in another tab meanwhile.
pub const PASSKEY_CEREMONY_EXPIRED: &str = "La richiesta è scaduta. Ricarica la pagina e riprova.";
/// Shown where passkeys would be, when `PUBLIC_BASE_URL` is an IP address.
pub const PASSKEYS_NEED_A_DOMAIN: &str = "Le passkey non sono disponibili su questo indirizzo: i browser le accettano solo su un nome di dominio (ad esempio localhost), non su un indirizzo IP.";

pub const SESSION_ENDED: &str =
    "Sessione terminata: chi la stava usando dovrà accedere di nuovo con username e password.";
pub const SESSION_ALREADY_ENDED: &str = "Quella sessione era già terminata.";

/// After "Termina tutte le altre sessioni".
pub fn other_sessions_ended(count: u64) -> String {
    match count {
        0 => "Non c'erano altre sessioni attive: resta aperta solo questa.".to_owned(),
        1 => "Hai terminato 1 altra sessione: resta aperta solo questa.".to_owned(),
        n => format!("Hai terminato {n} altre sessioni: resta aperta solo questa."),
    }
}

/// After the access review was sent: how many users were kept and how many disabled.
pub fn review_recorded(kept: usize, disabled: usize) -> String {
    let kept = match kept {
        1 => "1 utente confermato".to_owned(),
        n => format!("{n} utenti confermati"),
    };
    let disabled = match disabled {
        1 => "1 disabilitato".to_owned(),
        n => format!("{n} disabilitati"),
    };
    format!("Revisione registrata: {kept}, {disabled}.")
}

/// After "Termina sessioni" on a user of Gestione Utenze.
pub fn user_sessions_ended(name: &str) -> String {
    format!("Sessioni di {name} terminate: per continuare dovrà accedere di nuovo.")
}
/// A required enrolment finished in another browser first: this one logs in again.
pub const APP_ENROLLED_ELSEWHERE: &str = "Nel frattempo un'app di autenticazione è stata attivata sul tuo account da un altro browser: accedi di nuovo, ti chiederemo il codice di quell'app.";
