//! The audit trail in plain Italian: one sentence per event, with who acted, on whom, what
//! changed (before → after, in words) — for the Registro attività, its CSV and the Servizio
//! Clienti 191 console alike. Names come with the event (the query joins them); the stored
//! details are read key by key and never shown as they are: a value the sentences do not
//! know is left out, never printed raw.

mod groups;
mod phrases;

use serde_json::Value;

use crate::db::audit::TrailRow;
use crate::domain::{AuditAction, Profile, RegistrationState};
pub use groups::{ActionGroup, action_label};

/// A user of the company as the trail names them.
#[derive(Debug, Clone, Default)]
pub struct Person {
    pub first_name: String,
    pub last_name: String,
    pub username: String,
    pub profile: Option<Profile>,
}

impl Person {
    /// "Luca Bianchi", else the username; a user whose data was erased after the company
    /// closed is "un utente cancellato" (the erased username is made of an id).
    pub fn display(&self) -> String {
        let name = format!("{} {}", self.first_name.trim(), self.last_name.trim());
        let name = name.trim();
        if !name.is_empty() {
            name.to_owned()
        } else if self.username.is_empty() {
            "un utente".to_owned()
        } else if self.username.starts_with("cancellato-") {
            "un utente cancellato".to_owned()
        } else {
            self.username.clone()
        }
    }
}

/// Who acted, as the trail recorded it.
#[derive(Debug, Clone)]
pub enum Doer {
    /// A logged-in user of the company (the legal representative, or the user themselves).
    User(Person),
    /// A Servizio Clienti 191 operator.
    Staff,
    /// The portal itself: contracts from sales channels, the worker.
    System,
    /// Someone through an emailed link or a public page: the subject, as far as we know.
    Visitor,
}

/// One event, ready to be said.
#[derive(Debug, Clone)]
pub struct Event<'a> {
    pub action: AuditAction,
    pub details: &'a Value,
    pub doer: &'a Doer,
    pub subject: Option<&'a Person>,
    /// The acting user is the subject (their own password, their own sessions…).
    pub on_self: bool,
}

/// An event in words.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sentence {
    /// "Maria Rossi ha registrato Luca Bianchi (Amministratore Light)".
    pub text: String,
    /// Who acted: a name, "Servizio Clienti 191" or "Il sistema".
    pub who: String,
    /// On whom, or empty.
    pub whom: String,
    /// The action in a few words.
    pub action: &'static str,
}

/// The sentence of `event`.
pub fn describe(event: &Event<'_>) -> Sentence {
    let whom = event.subject.map(Person::display).unwrap_or_default();
    let who = match event.doer {
        Doer::User(p) => p.display(),
        Doer::Staff => "Servizio Clienti 191".to_owned(),
        Doer::System => "Il sistema".to_owned(),
        Doer::Visitor if !whom.is_empty() => whom.clone(),
        Doer::Visitor => "Un visitatore".to_owned(),
    };
    Sentence {
        text: capitalised(phrases::sentence(event)),
        who: capitalised(who),
        whom,
        action: action_label(event.action),
    }
}

/// The sentence of a row of the trail query.
pub fn of_row(row: &TrailRow) -> Sentence {
    let person =
        |first: &Option<String>, last: &Option<String>, username: &Option<String>| Person {
            first_name: first.clone().unwrap_or_default(),
            last_name: last.clone().unwrap_or_default(),
            username: username.clone().unwrap_or_default(),
            profile: None,
        };
    let doer = if row.by_staff {
        Doer::Staff
    } else if row.by_user {
        Doer::User(person(
            &row.actor_first_name,
            &row.actor_last_name,
            &row.actor_username,
        ))
    } else if row.actor_label == "sistema" {
        Doer::System
    } else {
        Doer::Visitor
    };
    let subject = row.subject_username.as_ref().map(|_| Person {
        profile: row.subject_profile,
        ..person(
            &row.subject_first_name,
            &row.subject_last_name,
            &row.subject_username,
        )
    });
    describe(&Event {
        action: row.action,
        details: &row.details,
        doer: &doer,
        subject: subject.as_ref(),
        on_self: row.on_self,
    })
}

/// Only the fixed words that may open a sentence ("un utente…") get a capital: a username
/// such as "maria.rossi@example.it" is written as it is.
fn capitalised(text: String) -> String {
    match text.strip_prefix("un ") {
        Some(rest) => format!("Un {rest}"),
        None => text,
    }
}

/// A non-empty text detail.
fn text<'a>(details: &'a Value, key: &str) -> Option<&'a str> {
    details
        .get(key)
        .and_then(Value::as_str)
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn number(details: &Value, key: &str) -> Option<i64> {
    details.get(key).and_then(Value::as_i64)
}

fn flag(details: &Value, key: &str) -> bool {
    details.get(key).and_then(Value::as_bool).unwrap_or(false)
}

/// A value of a before/after snapshot in words; `None` when it is a code we do not know.
fn value_in_words(key: &str, value: &Value) -> Option<String> {
    let Some(text) = value.as_str() else {
        return value.is_null().then(|| "nessuno".to_owned());
    };
    match key {
        "profile" => Profile::parse(text).map(|p| p.label().to_owned()),
        "state" => RegistrationState::parse(text).map(|s| s.label().to_owned()),
        _ => Some(text.to_owned()),
    }
}

/// The fields of a snapshot, in the order people read them.
const FIELDS: [(&str, &str); 5] = [
    ("profile", "profilo"),
    ("email", "e-mail"),
    ("mobile", "cellulare"),
    ("username", "username"),
    ("state", "stato"),
];

/// What changed between `prima` and `dopo`: "profilo: Utilizzatore → Amministratore Light;
/// e-mail: a@x.it → b@x.it". A field only after (a new user) reads "e-mail: b@x.it"; a
/// field that stayed the same is left out.
fn changes(details: &Value) -> String {
    let before = details.get("prima");
    let after = details.get("dopo");
    let mut parts = Vec::new();
    for (key, name) in FIELDS {
        let old = before.and_then(|b| b.get(key));
        let new = after.and_then(|a| a.get(key));
        let words = |v: Option<&Value>| v.and_then(|v| value_in_words(key, v));
        match (old, new) {
            (Some(o), Some(n)) if o == n => {}
            (Some(_), Some(_)) => {
                if let (Some(o), Some(n)) = (words(old), words(new)) {
                    parts.push(format!("{name}: {o} → {n}"));
                }
            }
            (None, Some(_)) => {
                if let Some(n) = words(new).filter(|n| n != "nessuno") {
                    parts.push(format!("{name}: {n}"));
                }
            }
            _ => {}
        }
    }
    parts.join("; ")
}

#[cfg(test)]
mod tests;
