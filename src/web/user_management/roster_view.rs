//! Which view of the Gestione Utenze list a person is on (search, state filter, page), so
//! that after an action they come back to the same rows. The list's forms carry it as
//! hidden fields (`q`, `stato`, `pagina`) rather than in the URL: a form kept across a
//! step-up confirmation keeps its fields, not its query string.

use serde::Deserialize;

use super::BASE;

#[derive(Deserialize, Default, Debug, Clone, PartialEq, Eq)]
pub struct RosterView {
    #[serde(default)]
    pub q: String,
    #[serde(default)]
    pub stato: String,
    #[serde(default)]
    pub pagina: String,
}

/// Longer values are not a view of the list (the search box takes 100 characters).
const MAX_FIELD: usize = 200;

impl RosterView {
    /// The view as its fields came (a form or a query string), cut to sane lengths: the
    /// list reads them again itself, so nothing here is trusted beyond being text.
    pub fn sanitized(self) -> RosterView {
        let cut = |s: String| s.chars().take(MAX_FIELD).collect::<String>();
        RosterView {
            q: cut(self.q),
            stato: cut(self.stato),
            pagina: cut(self.pagina),
        }
    }

    /// The list at this view: `/area-clienti/gestione-utenze?q=…&stato=…&pagina=…`, with
    /// only the parts that differ from the first page of everything.
    pub fn href(&self) -> String {
        match self.query() {
            q if q.is_empty() => BASE.to_owned(),
            q => format!("{BASE}?{q}"),
        }
    }

    /// `?q=…` to append to a link leaving the list (Modifica, Aggiorna), or "" for the
    /// default view, so the common case costs no bytes.
    pub fn suffix(&self) -> String {
        match self.query() {
            q if q.is_empty() => String::new(),
            q => format!("?{q}"),
        }
    }

    /// The same view at page `number`.
    pub fn at_page(&self, number: i64) -> RosterView {
        RosterView {
            pagina: if number > 1 {
                number.to_string()
            } else {
                String::new()
            },
            ..self.clone()
        }
    }

    fn query(&self) -> String {
        let mut query = url::form_urlencoded::Serializer::new(String::new());
        if !self.q.is_empty() {
            query.append_pair("q", &self.q);
        }
        if !self.stato.is_empty() {
            query.append_pair("stato", &self.stato);
        }
        if !self.pagina.is_empty() && self.pagina != "1" {
            query.append_pair("pagina", &self.pagina);
        }
        query.finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn view(q: &str, stato: &str, pagina: &str) -> RosterView {
        RosterView {
            q: q.into(),
            stato: stato.into(),
            pagina: pagina.into(),
        }
    }

    #[test]
    fn the_default_view_is_the_bare_list() {
        assert_eq!(RosterView::default().href(), BASE);
        assert_eq!(view("", "", "1").href(), BASE);
        assert_eq!(RosterView::default().suffix(), "");
    }

    #[test]
    fn a_view_comes_back_encoded() {
        assert_eq!(
            view("rossi & c", "in_attesa", "3").href(),
            format!("{BASE}?q=rossi+%26+c&stato=in_attesa&pagina=3")
        );
        assert_eq!(view("", "attivo", "").suffix(), "?stato=attivo");
    }

    #[test]
    fn only_the_list_is_ever_the_way_back() {
        // Whatever a form says, the redirect stays on the list's own path.
        let hostile = view("//evil.example", "http://x", "\r\nSet-Cookie: a=b").sanitized();
        let href = hostile.href();
        assert!(href.starts_with(&format!("{BASE}?")), "{href}");
        assert!(!href.contains('\r') && !href.contains('\n'), "{href}");
    }

    #[test]
    fn long_fields_are_cut() {
        let long = view(&"a".repeat(5000), "", "").sanitized();
        assert_eq!(long.q.len(), MAX_FIELD);
    }

    #[test]
    fn pages_keep_the_search_and_the_filter() {
        let v = view("rossi", "attivo", "4");
        assert_eq!(v.at_page(1).href(), format!("{BASE}?q=rossi&stato=attivo"));
        assert_eq!(
            v.at_page(2).href(),
            format!("{BASE}?q=rossi&stato=attivo&pagina=2")
        );
    }
}
