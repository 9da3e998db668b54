//! Views of the Gestione Utenze forms (Aggiungi, Aggiorna, Modifica).

use askama::Template;
use askama_web::WebTemplate;

use super::roster_view::RosterView;
use crate::db::lines::Line;
use crate::db::users::User;
use crate::domain::Profile;
use crate::user_management::Actions;
use crate::web::invitations::InvitationView;
use crate::web::pages::{FormErrors, Layout};

/// What the user form shows in its inputs.
#[derive(Debug, Clone, Default)]
pub struct UserForm {
    pub mobile: String,
    pub email: String,
    pub username: String,
    pub profile: String,
    pub first_name: String,
    pub last_name: String,
}

/// Aggiungi, Aggiorna and Modifica share one template.
#[derive(Template, WebTemplate)]
#[template(path = "user_management/user_form.html")]
pub struct UserFormPage {
    pub layout: Layout,
    pub title: String,
    pub action: String,
    pub intro: String,
    pub form: UserForm,
    pub errors: FormErrors,
    /// Aggiungi has the two buttons; Aggiorna and Modifica one "Conferma".
    pub is_add: bool,
    pub show_mobile: bool,
    pub show_names: bool,
    pub username_editable: bool,
    /// Each assignable profile: code, name, what it may do in one sentence.
    pub profiles: Vec<(&'static str, &'static str, &'static str)>,
    /// Modifica of an active user: where «Azzera i fattori di accesso» posts.
    pub reset_factors_action: Option<String>,
    /// Modifica: the question before Disabilita (the list's view is appended).
    pub disable_href: Option<String>,
    /// Modifica of an active user: where «Termina sessioni» posts.
    pub end_sessions_action: Option<String>,
    /// Modifica: every username email of the user, newest first.
    pub invitations: Vec<InvitationView>,
    /// The view of the list to come back to (search, filter, page).
    pub view: RosterView,
}

impl UserFormPage {
    /// The same page, coming back to the list at `view` when done or left.
    pub fn returning_to(self, view: RosterView) -> UserFormPage {
        UserFormPage { view, ..self }
    }
}

fn profiles() -> Vec<(&'static str, &'static str, &'static str)> {
    Profile::ASSIGNABLE
        .iter()
        .map(|&p| (p.as_str(), p.label(), crate::web::company::summary(p)))
        .collect()
}

pub fn add_page(layout: Layout, form: UserForm, errors: FormErrors) -> UserFormPage {
    UserFormPage {
        layout,
        title: "Aggiungi utente".to_owned(),
        action: "/area-clienti/gestione-utenze/aggiungi".to_owned(),
        intro: "Inserisci i dati del dipendente. Ti consigliamo di usare l'indirizzo e-mail come username.".to_owned(),
        form,
        errors,
        is_add: true,
        show_mobile: true,
        show_names: true,
        username_editable: true,
        profiles: profiles(),
        reset_factors_action: None,
        disable_href: None,
        end_sessions_action: None,
        invitations: Vec::new(),
        view: RosterView::default(),
    }
}

/// The Aggiorna form of a line: the saved user's data, else the contract referent's.
pub fn line_prefill(line: &Line, saved: Option<&User>) -> UserForm {
    let referent_email = line
        .referent_email
        .as_ref()
        .map(ToString::to_string)
        .unwrap_or_default();
    match saved {
        Some(u) => UserForm {
            mobile: line.number.grouped(),
            email: u.email.to_string(),
            username: u.username.clone(),
            profile: u.profile.as_str().to_owned(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
        },
        None => UserForm {
            mobile: line.number.grouped(),
            email: referent_email.clone(),
            username: referent_email,
            profile: line
                .referent_profile
                .map(|p| p.as_str().to_owned())
                .unwrap_or_default(),
            first_name: line.referent_first_name.clone().unwrap_or_default(),
            last_name: line.referent_last_name.clone().unwrap_or_default(),
        },
    }
}

pub fn line_page(layout: Layout, line: &Line, form: UserForm, errors: FormErrors) -> UserFormPage {
    let intro = if line.referent_email.is_some() {
        format!(
            "Linea {}: i dati del referente indicato nel contratto sono già inseriti. Controllali e conferma.",
            line.number.grouped()
        )
    } else {
        format!(
            "Linea {}: inserisci i dati del dipendente che la usa, poi conferma.",
            line.number.grouped()
        )
    };
    UserFormPage {
        layout,
        title: format!("Aggiorna la linea {}", line.number.grouped()),
        action: format!("/area-clienti/gestione-utenze/linee/{}/aggiorna", line.id),
        intro,
        form,
        errors,
        is_add: false,
        show_mobile: false,
        show_names: true,
        username_editable: true,
        profiles: profiles(),
        reset_factors_action: None,
        disable_href: None,
        end_sessions_action: None,
        invitations: Vec::new(),
        view: RosterView::default(),
    }
}

/// Modifica: the user's page. `allowed` (from the permission source) adds «Azzera i
/// fattori», Disabilita and Termina sessioni; `invitations` are the user's username
/// emails, newest first.
pub fn modify_page(
    layout: Layout,
    user: &User,
    form: UserForm,
    errors: FormErrors,
    allowed: Actions,
    invitations: Vec<InvitationView>,
) -> UserFormPage {
    let of_user =
        |action: &str| format!("/area-clienti/gestione-utenze/utenti/{}/{action}", user.id);
    let reset_factors_action = allowed.reset_factors.then(|| of_user("azzera-fattori"));
    UserFormPage {
        layout,
        title: format!("Modifica {}", user.username),
        action: format!("/area-clienti/gestione-utenze/utenti/{}/modifica", user.id),
        intro: "Modifica e-mail, cellulare o profilo. La username non cambia.".to_owned(),
        form,
        errors,
        is_add: false,
        show_mobile: true,
        show_names: false,
        username_editable: false,
        profiles: profiles(),
        reset_factors_action,
        disable_href: allowed.disable.then(|| of_user("disabilita")),
        end_sessions_action: allowed.end_sessions.then(|| of_user("termina-sessioni")),
        invitations,
        view: RosterView::default(),
    }
}
