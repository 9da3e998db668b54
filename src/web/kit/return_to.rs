//! Where a person goes back to: a path of the customer area, never another site. Used by the
//! login (`/accedi?dopo=…`, after a session expired or a bookmarked page) and by pages that
//! link away and back (`/area-clienti/profili?da=…`).

/// The query parameter of `/accedi` that names the page to land on after the login.
pub const AFTER_LOGIN: &str = "dopo";

/// `path` if it is a path of the customer area (with its query), else nothing.
pub fn own_area_path(path: &str) -> Option<String> {
    let inside = path == "/area-clienti"
        || path.starts_with("/area-clienti/")
        || path.starts_with("/area-clienti?");
    let ok = inside
        && path.len() <= 512
        && !path.contains("//")
        && !path.contains('\\')
        && path.chars().all(|c| c.is_ascii_graphic());
    ok.then(|| path.to_owned())
}

/// The login page that brings the person back to `path_and_query` (a page they asked
/// for without a valid session), or the plain login page.
pub fn login_returning_to(path_and_query: &str) -> String {
    match own_area_path(path_and_query) {
        Some(path) if path != "/area-clienti" => {
            let query: String = url::form_urlencoded::Serializer::new(String::new())
                .append_pair(AFTER_LOGIN, &path)
                .finish();
            format!("/accedi?{query}")
        }
        _ => "/accedi".to_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_paths_of_the_customer_area_are_gone_back_to() {
        assert_eq!(
            own_area_path("/area-clienti/gestione-utenze?q=abc&stato=attivo").as_deref(),
            Some("/area-clienti/gestione-utenze?q=abc&stato=attivo")
        );
        for hostile in [
            "https://evil.example/area-clienti",
            "//evil.example/area-clienti",
            "/area-clienti//evil.example",
            "/area-clienti\\..\\x",
            "/area-clienti/a b",
            "/area-clientiX",
            "/accedi",
            "",
        ] {
            assert_eq!(own_area_path(hostile), None, "{hostile}");
        }
    }

    #[test]
    fn the_login_names_the_page_to_come_back_to() {
        assert_eq!(
            login_returning_to("/area-clienti/gestione-utenze?stato=attivo&pagina=2"),
            "/accedi?dopo=%2Farea-clienti%2Fgestione-utenze%3Fstato%3Dattivo%26pagina%3D2"
        );
        assert_eq!(login_returning_to("/area-clienti"), "/accedi");
        assert_eq!(login_returning_to("/assistenza"), "/accedi");
    }
}
