//! The routes the router target reaches: every one that reads a path segment, a query or
//! a body.

use super::{Caller, Route, route};

/// Every route that reads a path segment, a query or a body (logout is left out: it would
/// end the session the other inputs need).
pub const ROUTES: &[Route] = &[
    route("POST /accedi", Caller::Anonymous),
    route("POST /accedi/verifica", Caller::Anonymous),
    route("POST /accedi/verifica/sms", Caller::Anonymous),
    route("POST /accedi/passkey/opzioni", Caller::Anonymous),
    route("POST /accedi/passkey/conferma", Caller::Anonymous),
    route("POST /accedi/conferma", Caller::Customer),
    route("POST /recupera-password", Caller::Anonymous),
    route("POST /reinvio-credenziali", Caller::Anonymous),
    route("GET /attivazione/{token}", Caller::Anonymous),
    route("POST /attivazione/{token}", Caller::Anonymous),
    route("POST /attivazione/{token}/codice", Caller::Anonymous),
    route("GET /attivazione/{token}/password", Caller::Anonymous),
    route("POST /attivazione/{token}/password", Caller::Anonymous),
    route("GET /recupera-password/{token}", Caller::Anonymous),
    route("POST /recupera-password/{token}", Caller::Anonymous),
    route(
        "POST /recupera-password/{token}/password",
        Caller::Anonymous,
    ),
    route("GET /nuovo-fattore/{token}", Caller::Anonymous),
    route("POST /nuovo-fattore/{token}", Caller::Anonymous),
    route("POST /nuovo-fattore/{token}/codice", Caller::Anonymous),
    route("GET /conferma-email/{token}", Caller::Anonymous),
    route("POST /conferma-email/{token}", Caller::Anonymous),
    route("GET /area-clienti/gestione-utenze", Caller::Customer),
    route(
        "GET /area-clienti/gestione-utenze/registro",
        Caller::Customer,
    ),
    route(
        "GET /area-clienti/gestione-utenze/revisione",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/revisione",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/aggiungi",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/registra",
        Caller::Customer,
    ),
    route(
        "GET /area-clienti/gestione-utenze/linee/{line}/aggiorna",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/linee/{line}/aggiorna",
        Caller::Customer,
    ),
    route(
        "GET /area-clienti/gestione-utenze/utenti/{user}/modifica",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/utenti/{user}/modifica",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/utenti/{user}/registra",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/utenti/{user}/reinvia",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/utenti/{user}/disabilita",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/utenti/{user}/riabilita",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/utenti/{user}/azzera-fattori",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/utenti/{user}/termina-sessioni",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/importa",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/gestione-utenze/importa/conferma",
        Caller::Customer,
    ),
    route("POST /area-clienti/profilo/contatti", Caller::Customer),
    route(
        "POST /area-clienti/profilo/contatti/cellulare",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/profilo/contatti/annulla",
        Caller::Customer,
    ),
    route("POST /area-clienti/profilo/password", Caller::Customer),
    route("POST /area-clienti/sicurezza/app", Caller::Customer),
    route(
        "POST /area-clienti/sicurezza/app/conferma",
        Caller::Customer,
    ),
    route("POST /area-clienti/sicurezza/app/rimuovi", Caller::Customer),
    route("POST /area-clienti/sicurezza/passkey", Caller::Customer),
    route(
        "POST /area-clienti/sicurezza/passkey/opzioni",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/sicurezza/passkey/conferma",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/sicurezza/passkey/rimuovi",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/sicurezza/codici-recupero",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/sicurezza/sessioni/{session}/termina",
        Caller::Customer,
    ),
    route(
        "POST /area-clienti/sicurezza/sessioni/termina-altre",
        Caller::Customer,
    ),
    route("POST /assistenza/accedi", Caller::Staff),
    route("POST /assistenza/accedi/verifica", Caller::Staff),
    route("POST /assistenza/sicurezza/attiva", Caller::Staff),
    route("GET /assistenza", Caller::Staff),
    route("GET /assistenza/aziende/{company}", Caller::Staff),
    route("POST /assistenza/utenti/{user}/reinvia", Caller::Staff),
    route(
        "POST /assistenza/utenti/{user}/azzera-fattori",
        Caller::Staff,
    ),
    route("POST /api/v1/contratti", Caller::Api),
    route("POST /api/v1/linee/{number}/cessazione", Caller::Api),
    route(
        "POST /api/v1/aziende/{vat_number}/rappresentante-legale",
        Caller::Api,
    ),
    route("POST /api/v1/aziende/{vat_number}/cessazione", Caller::Api),
    route("POST /api/v1/notifiche/esiti", Caller::Api),
];
