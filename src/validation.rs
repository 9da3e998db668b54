//! Validation messages of a form, by field name, in the order they were found.

#[derive(Debug, Clone, Default)]
pub struct FieldErrors(Vec<(&'static str, String)>);

impl FieldErrors {
    pub fn add(&mut self, field: &'static str, message: impl Into<String>) {
        self.0.push((field, message.into()));
    }

    /// Records the error of a parse, if any, and passes the value on.
    pub fn check<T, E: std::fmt::Display>(
        &mut self,
        field: &'static str,
        result: Result<T, E>,
    ) -> Option<T> {
        result.map_err(|e| self.add(field, e.to_string())).ok()
    }

    pub fn get(&self, field: &str) -> Option<&str> {
        self.0
            .iter()
            .find(|(f, _)| *f == field)
            .map(|(_, m)| m.as_str())
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    pub fn all(&self) -> &[(&'static str, String)] {
        &self.0
    }

    /// The errors for the summary at the top of a form: "Username: Il campo è obbligatorio".
    pub fn summary(&self) -> Vec<(&'static str, String)> {
        self.0
            .iter()
            .map(|(field, message)| (*field, format!("{}: {message}", label(field))))
            .collect()
    }
}

/// The visible label of a form field, for the error summary.
fn label(field: &str) -> &str {
    match field {
        "mobile" => "Numero di cellulare",
        "email" => "Indirizzo e-mail",
        "username" => "Username",
        "profile" => "Profilo",
        "first_name" => "Nome",
        "last_name" => "Cognome",
        "password" => "Password",
        "password_confirm" => "Conferma la password",
        "code" => "Codice di verifica",
        "current_password" => "Password attuale",
        "persona" => "Persona",
        "azione" => "Tipo di attività",
        "dal" => "Dal giorno",
        "al" => "Al giorno",
        "file" => "File CSV",
        "riga" => "Riga",
        other => other,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_summary_names_each_field() {
        let mut errors = FieldErrors::default();
        errors.add("username", "Il campo è obbligatorio");
        assert_eq!(
            errors.summary(),
            vec![("username", "Username: Il campo è obbligatorio".to_owned())]
        );
        assert_eq!(errors.get("username"), Some("Il campo è obbligatorio"));
    }
}
