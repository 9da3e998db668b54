use serde_json::{Value, json};

use super::*;

fn luca() -> Person {
    Person {
        first_name: "Luca".into(),
        last_name: "Bianchi".into(),
        username: "luca.bianchi@example.it".into(),
        profile: Some(Profile::AdminLight),
    }
}

fn maria() -> Doer {
    Doer::User(Person {
        first_name: "Maria".into(),
        last_name: "Rossi".into(),
        username: "maria.rossi@example.it".into(),
        profile: Some(Profile::LegalRepresentative),
    })
}

fn say(action: AuditAction, details: Value, doer: &Doer) -> Sentence {
    let subject = luca();
    describe(&Event {
        action,
        details: &details,
        doer,
        subject: Some(&subject),
        on_self: false,
    })
}

/// Details as the portal writes them for `action` (the match makes a new action list its own).
fn written(action: AuditAction) -> Value {
    use AuditAction as A;
    match action {
        A::Login | A::StaffLogin => json!({ "fattore": "app" }),
        A::ContractRecorded => {
            json!({ "contract_id": "CTR-1", "channel": "negozio", "lines_added": 2 })
        }
        A::UsernameEmailSent | A::SupportResentCredentials => {
            json!({ "email": "luca.bianchi@example.it", "motivo": "ticket 42" })
        }
        A::CodeSent => json!({ "canale": "sms" }),
        A::ContactsChanged => {
            json!({ "prima": { "email": "a@x.it" }, "dopo": { "email": "b@x.it" } })
        }
        A::SupportRequeuedMessage => json!({
            "messaggio": "0b7c3e4a-8d0f-4a53-9f4e-1d2c3b4a5e6f", "tipo": "username",
            "stato": "failed", "email": "luca.bianchi@example.it"
        }),
        A::UserAdded => json!({
            "dopo": { "email": "luca.bianchi@example.it", "mobile": null, "profile": "amministratore_light" },
            "username": "luca.bianchi@example.it"
        }),
        A::UserChanged => json!({
            "prima": { "email": "a@x.it", "mobile": null, "profile": "utilizzatore" },
            "dopo": { "email": "b@x.it", "mobile": null, "profile": "amministratore_light" }
        }),
        A::UserDisabled => {
            json!({ "prima": { "state": "attivo" }, "dopo": { "state": "disabilitato" } })
        }
        A::UserReenabled => {
            json!({ "prima": { "state": "disabilitato" }, "dopo": { "state": "attivo" } })
        }
        A::LineUpdated => json!({
            "linea": "+393401112233", "da_referente": true,
            "dopo": { "email": "luca.bianchi@example.it", "mobile": "+393401112233", "profile": "utilizzatore" }
        }),
        A::FactorsReset => {
            json!({ "da": "assistenza", "fattori_presenti": true, "sessioni": 2, "motivo": "telefono perso" })
        }
        A::ContactChangeRequested => json!({ "contatto": "email", "nuovo": "b@x.it" }),
        A::ContactChangeCodeWrong => json!({ "contatto": "mobile" }),
        A::ContactChangeCancelled => {
            json!({ "contatto": "mobile", "motivo": "tentativi_esauriti" })
        }
        A::SessionEnded => json!({ "sessione": "0b7c3e4a-8d0f-4a53-9f4e-1d2c3b4a5e6f" }),
        A::OtherSessionsEnded | A::UserSessionsEnded => json!({ "sessioni": 3 }),
        A::LineCeased => json!({
            "event_id": "EVT-1", "channel": "negozio", "via": "api",
            "numero": "+393401112233", "motivo": "portabilita_uscente", "utente_disabilitato": true
        }),
        A::LegalRepresentativeChanged => json!({
            "event_id": "EVT-2", "previous": "disabilitato", "promosso": true,
            "precedente_user_id": "0b7c3e4a-8d0f-4a53-9f4e-1d2c3b4a5e6f"
        }),
        A::LegalRepresentativeReplaced => json!({ "previous": "amministratore_full" }),
        A::CompanyClosed => {
            json!({ "utenti_disabilitati": 4, "linee_cessate": 1, "messaggi_annullati": 0 })
        }
        A::PersonalDataErased => json!({ "utenti": 4, "giorni_conservazione": 365 }),
        A::AccessReviewed => json!({ "confermati": 3, "disabilitati": 1 }),
        A::LoginFailed
        | A::UsernameEmailResent
        | A::CodeVerified
        | A::CodeWrong
        | A::AccountActivated
        | A::PasswordReset
        | A::PasswordChanged
        | A::RecoveryRequested
        | A::CredentialsReminderSent
        | A::UserRegistered
        | A::Reauthenticated
        | A::ReauthenticationFailed
        | A::StaffLoginFailed
        | A::StaffDisabled
        | A::StaffFactorsReset
        | A::SecondFactorWrong
        | A::AppEnrolled
        | A::AppRemoved
        | A::RecoveryCodesIssued
        | A::PasskeyAdded
        | A::PasskeyRemoved => json!({}),
    }
}

/// Nothing a person should not read: no JSON, no stored codes, no ids.
fn assert_plain(sentence: &Sentence, context: &str) {
    let text = &sentence.text;
    assert!(text.len() > 15, "{context}: {text:?}");
    for raw in [
        "{", "}", "\"", "_", " null", "None", "0b7c3e4a", "EVT-", "[", "  ",
    ] {
        assert!(!text.contains(raw), "{context}: {raw:?} in {text:?}");
    }
    assert!(
        !text.ends_with(' ') && !text.ends_with(':'),
        "{context}: {text:?}"
    );
    assert!(
        !sentence.action.is_empty() && !sentence.who.is_empty(),
        "{context}"
    );
}

#[test]
fn every_action_has_a_plain_sentence_for_every_kind_of_actor_with_or_without_details() {
    let doers = [maria(), Doer::Staff, Doer::System, Doer::Visitor];
    for action in AuditAction::ALL {
        for doer in &doers {
            for details in [written(*action), json!({}), json!({ "x": [1, 2] })] {
                let sentence = say(*action, details.clone(), doer);
                assert_plain(&sentence, &format!("{action} by {doer:?} with {details}"));
            }
        }
        let nobody = describe(&Event {
            action: *action,
            details: &written(*action),
            doer: &Doer::System,
            subject: None,
            on_self: false,
        });
        assert_plain(&nobody, &format!("{action} on nobody"));
    }
}

#[test]
fn the_contract_example_and_changes_in_words() {
    let registered = say(AuditAction::UserRegistered, json!({}), &maria());
    assert_eq!(
        registered.text,
        "Maria Rossi ha registrato Luca Bianchi (Amministratore Light)"
    );
    assert_eq!(registered.who, "Maria Rossi");
    assert_eq!(registered.whom, "Luca Bianchi");
    assert_eq!(registered.action, "Utente registrato");
    let changed = say(
        AuditAction::UserChanged,
        written(AuditAction::UserChanged),
        &maria(),
    );
    assert_eq!(
        changed.text,
        "Maria Rossi ha modificato Luca Bianchi: profilo: Utilizzatore → Amministratore Light; e-mail: a@x.it → b@x.it"
    );
}

#[test]
fn visitors_the_system_and_support_are_named_as_people_read_them() {
    let login = say(
        AuditAction::Login,
        json!({ "fattore": "sms" }),
        &Doer::Visitor,
    );
    assert_eq!(
        login.text,
        "Luca Bianchi ha effettuato l'accesso con un codice via SMS"
    );
    assert_eq!(login.who, "Luca Bianchi");
    let sent = say(
        AuditAction::UsernameEmailSent,
        json!({ "email": "l@x.it" }),
        &Doer::System,
    );
    assert_eq!(
        sent.text,
        "Il sistema ha inviato a Luca Bianchi la e-mail con la username (a l@x.it)"
    );
    let support = say(
        AuditAction::SupportResentCredentials,
        json!({ "motivo": "ticket 7" }),
        &Doer::Staff,
    );
    assert_eq!(
        support.text,
        "Il Servizio Clienti 191 ha inviato di nuovo le credenziali a Luca Bianchi; motivo: «ticket 7»"
    );
    assert_eq!(support.who, "Servizio Clienti 191");
}

#[test]
fn people_without_a_name_or_whose_data_was_erased() {
    let plain = Person {
        username: "anna@example.it".into(),
        ..Person::default()
    };
    assert_eq!(plain.display(), "anna@example.it");
    let erased = Person {
        username: "cancellato-0b7c3e4a-8d0f-4a53-9f4e-1d2c3b4a5e6f".into(),
        ..Person::default()
    };
    let sentence = describe(&Event {
        action: AuditAction::PasswordChanged,
        details: &json!({}),
        doer: &Doer::Visitor,
        subject: Some(&erased),
        on_self: true,
    });
    assert_eq!(
        sentence.text,
        "Un utente cancellato ha cambiato la password"
    );
}
