//! The filters of the Registro attività (`persona`, `azione`, `dal`, `al`, `pagina`), read
//! from the raw query string (a repeated or undecodable parameter is an Italian message,
//! never a bare 400) and checked into a [`TrailFilter`], with an error per field.

use sqlx::PgConnection;
use time::{Date, Month};
use uuid::Uuid;

use crate::audit_sentences::ActionGroup;
use crate::clock::rome_day_start;
use crate::db::audit::TrailFilter;
use crate::db::users;
use crate::domain::text::{self, Lines};
use crate::web::pages::FormErrors;

/// Longest `persona` accepted: an e-mail address at most.
const PERSONA_MAX: usize = 254;
/// Longer values are cut before anything looks at them.
const PARAM_MAX: usize = 300;

pub const PERSONA_UNKNOWN: &str = "Nessun utente dell'azienda ha questa username o e-mail.";
pub const PERSONA_INVALID: &str =
    "Scrivi la username o l'indirizzo e-mail di un utente dell'azienda (al massimo 254 caratteri).";
pub const ACTION_INVALID: &str = "Scegli un tipo di attività dall'elenco.";
pub const DAY_INVALID: &str = "Scrivi la data come gg/mm/aaaa, ad esempio 05/12/2026.";
pub const PERIOD_REVERSED: &str = "La data di fine viene prima di quella di inizio.";

/// The filters as typed, to fill the form again and to build the links.
#[derive(Debug, Clone, Default)]
pub struct TypedFilters {
    pub persona: String,
    pub azione: String,
    pub dal: String,
    pub al: String,
    pub pagina: String,
}

impl TypedFilters {
    /// The first value of each parameter; anything else is ignored.
    pub fn read(raw: Option<&str>) -> TypedFilters {
        let mut typed = TypedFilters::default();
        for (key, value) in url::form_urlencoded::parse(raw.unwrap_or("").as_bytes()) {
            let slot = match key.as_ref() {
                "persona" => &mut typed.persona,
                "azione" => &mut typed.azione,
                "dal" => &mut typed.dal,
                "al" => &mut typed.al,
                "pagina" => &mut typed.pagina,
                _ => continue,
            };
            if slot.is_empty() {
                *slot = value.trim().chars().take(PARAM_MAX).collect();
            }
        }
        typed
    }

    pub fn any(&self) -> bool {
        !(self.persona.is_empty()
            && self.azione.is_empty()
            && self.dal.is_empty()
            && self.al.is_empty())
    }

    /// The query string of these filters at `page` (1: none), without the `?`.
    pub fn query(&self, page: Option<i64>) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        for (key, value) in [
            ("persona", &self.persona),
            ("azione", &self.azione),
            ("dal", &self.dal),
            ("al", &self.al),
        ] {
            if !value.is_empty() {
                query.append_pair(key, value);
            }
        }
        if let Some(page) = page.filter(|p| *p > 1) {
            query.append_pair("pagina", &page.to_string());
        }
        query.finish()
    }
}

/// The filters checked: what to query, and the message of each field that was refused.
pub struct Checked {
    pub filter: TrailFilter,
    pub errors: FormErrors,
}

/// Checks `typed` against the company (the person must be one of its users).
pub async fn check(
    conn: &mut PgConnection,
    company_id: Uuid,
    typed: &mut TypedFilters,
) -> sqlx::Result<Checked> {
    let mut errors = FormErrors::default();
    let mut filter = TrailFilter::default();
    if !typed.persona.is_empty() {
        let persona = &typed.persona;
        if persona.chars().count() > PERSONA_MAX || !text::is_clean(persona, Lines::Single) {
            errors.add("persona", PERSONA_INVALID);
        } else {
            let ids = users::ids_in_company_by_identifier(conn, company_id, persona).await?;
            if ids.is_empty() {
                errors.add("persona", PERSONA_UNKNOWN);
            } else {
                filter.people = Some(ids);
            }
        }
    }
    if !typed.azione.is_empty() {
        match ActionGroup::parse(&typed.azione) {
            Some(group) => filter.actions = Some(group.actions()),
            None => errors.add("azione", ACTION_INVALID),
        }
    }
    let from = day(&mut typed.dal, "dal", &mut errors);
    let to = day(&mut typed.al, "al", &mut errors);
    if from.zip(to).is_some_and(|(from, to)| to < from) {
        errors.add("al", PERIOD_REVERSED);
    }
    filter.from = from.map(rome_day_start);
    filter.until = to.and_then(Date::next_day).map(rome_day_start);
    Ok(Checked { filter, errors })
}

/// A day typed in `field`; a readable one is written back as the date input wants it
/// (`aaaa-mm-gg`).
fn day(typed: &mut String, field: &'static str, errors: &mut FormErrors) -> Option<Date> {
    if typed.is_empty() {
        return None;
    }
    match parse_day(typed) {
        Some(date) => {
            *typed = format!(
                "{:04}-{:02}-{:02}",
                date.year(),
                u8::from(date.month()),
                date.day()
            );
            Some(date)
        }
        None => {
            errors.add(field, DAY_INVALID);
            None
        }
    }
}

/// `2026-12-05` (what a date input sends) or `5/12/2026` (what a person types where the
/// browser has no date picker); years 2000 to 2100.
pub fn parse_day(typed: &str) -> Option<Date> {
    let numbers = |sep: char| -> Option<Vec<u32>> {
        let parts: Vec<&str> = typed.split(sep).collect();
        let ok = parts.len() == 3
            && parts
                .iter()
                .all(|p| !p.is_empty() && p.len() <= 4 && p.bytes().all(|b| b.is_ascii_digit()));
        ok.then(|| parts.iter().filter_map(|p| p.parse().ok()).collect())
    };
    let (year, month, day) = if let Some(n) = numbers('-') {
        (n[0], n[1], n[2])
    } else if let Some(n) = numbers('/') {
        (n[2], n[1], n[0])
    } else {
        return None;
    };
    if !(2000..=2100).contains(&year) {
        return None;
    }
    let month = Month::try_from(u8::try_from(month).ok()?).ok()?;
    Date::from_calendar_date(i32::try_from(year).ok()?, month, u8::try_from(day).ok()?).ok()
}

#[cfg(test)]
mod tests {
    use super::*;
    use time::macros::date;

    #[test]
    fn days_are_read_in_both_ways_people_write_them() {
        assert_eq!(parse_day("2026-12-05"), Some(date!(2026 - 12 - 05)));
        assert_eq!(parse_day("5/12/2026"), Some(date!(2026 - 12 - 05)));
        assert_eq!(parse_day("05/12/2026"), Some(date!(2026 - 12 - 05)));
        for wrong in [
            "",
            "2026-02-30",
            "31/13/2026",
            "1999-01-01",
            "2026-1",
            "x/y/z",
            "+2026-01-01",
            "2026-01-01T00",
        ] {
            assert_eq!(parse_day(wrong), None, "{wrong:?}");
        }
    }

    #[test]
    fn only_the_first_value_of_known_parameters_is_read() {
        let typed = TypedFilters::read(Some("azione=accessi&azione=utenti&x=1&dal=%FF&pagina=2"));
        assert_eq!(typed.azione, "accessi");
        assert_eq!(typed.dal, "\u{fffd}");
        assert_eq!(
            typed.query(Some(3)),
            "azione=accessi&dal=%EF%BF%BD&pagina=3"
        );
        assert_eq!(TypedFilters::default().query(Some(1)), "");
    }
}
