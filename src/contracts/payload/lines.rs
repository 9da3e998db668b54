//! Validation of `mobile_lines`: each line's number (valid, not repeated within the
//! contract) and its optional referent, under the cap of [`MAX_LINES_PER_CONTRACT`].

use super::{
    Errors, Line, LinePayload, MAX_LINES_PER_CONTRACT, PersonPayload, Referent, email, name,
};
use crate::domain::{PhoneNumber, Profile};

pub(super) fn lines(errors: &mut Errors, payload: &[LinePayload]) -> Vec<Line> {
    if payload.len() > MAX_LINES_PER_CONTRACT {
        errors.push(
            "mobile_lines",
            format!("Al massimo {MAX_LINES_PER_CONTRACT} linee per contratto"),
        );
        return Vec::new();
    }
    let mut seen = std::collections::HashSet::new();
    let mut lines = Vec::with_capacity(payload.len());
    for (i, line) in payload.iter().enumerate() {
        let path = format!("mobile_lines[{i}]");
        let number = errors
            .required(&format!("{path}.number"), &line.number)
            .and_then(|n| errors.check(format!("{path}.number"), PhoneNumber::parse(n)));
        let referent = line
            .referent
            .as_ref()
            .and_then(|r| referent(errors, &format!("{path}.referent"), r));
        if let Some(number) = number {
            if !seen.insert(number.as_str().to_owned()) {
                errors.push(
                    format!("{path}.number"),
                    "Numero ripetuto nello stesso contratto",
                );
            }
            lines.push(Line { number, referent });
        }
    }
    lines
}

fn referent(errors: &mut Errors, path: &str, r: &PersonPayload) -> Option<Referent> {
    let first_name = name(errors, &format!("{path}.first_name"), &r.first_name);
    let last_name = name(errors, &format!("{path}.last_name"), &r.last_name);
    let email = email(errors, &format!("{path}.email"), &r.email);
    let profile = match r
        .profile
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
    {
        Some(p) => Some(errors.check(format!("{path}.profile"), Profile::parse_assignable(p))?),
        None => None,
    };
    if r.mobile.is_some() {
        errors.push(
            format!("{path}.mobile"),
            "Il numero del referente è quello della linea",
        );
    }
    Some(Referent {
        first_name: first_name?,
        last_name: last_name?,
        email: email?,
        profile,
    })
}
