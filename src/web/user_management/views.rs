//! View structs of the Gestione Utenze pages, and their builders from database rows.

use askama::Template;
use askama_web::WebTemplate;

use crate::db::audit::CompanyAuditRow;
use crate::db::lines::Line;
use crate::db::outbox::MessageState;
use crate::db::roster::{PAGE_SIZE, RosterQuery, RosterRow};
use crate::db::users::User;
use crate::domain::{Profile, RegistrationState};
use crate::web::pages::{FormErrors, Layout};

pub struct RowView {
    pub line_id: String,
    pub user_id: String,
    pub number: String,
    pub name: String,
    pub email: String,
    pub username: String,
    pub profile: &'static str,
    pub state: &'static str,
    pub state_label: &'static str,
    pub delivery: &'static str,
    pub delivery_label: &'static str,
    /// Which buttons the row offers (only to the legal representative).
    pub can_update_line: bool,
    pub can_register: bool,
    /// A line "Da registrare" with a contract referent: selectable for "Registra i selezionati".
    pub can_register_line: bool,
    pub can_resend: bool,
    pub can_modify: bool,
    pub can_disable: bool,
    pub can_enable: bool,
    pub has_referent: bool,
}

pub struct StateCount {
    pub code: &'static str,
    pub label: &'static str,
    pub count: i64,
    pub selected: bool,
    pub href: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_management/list.html")]
pub struct RosterPage {
    pub layout: Layout,
    pub can_manage: bool,
    pub rows: Vec<RowView>,
    pub counts: Vec<StateCount>,
    pub total: i64,
    pub q: String,
    pub stato: String,
    pub page: i64,
    pub pages: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
    pub flash: Option<String>,
    pub any_selectable: bool,
}

fn list_href(q: &str, stato: &str, page: i64) -> String {
    let mut query = url::form_urlencoded::Serializer::new(String::new());
    if !q.is_empty() {
        query.append_pair("q", q);
    }
    if !stato.is_empty() {
        query.append_pair("stato", stato);
    }
    if page > 1 {
        query.append_pair("pagina", &page.to_string());
    }
    let query = query.finish();
    if query.is_empty() {
        "/area-clienti/gestione-utenze".to_owned()
    } else {
        format!("/area-clienti/gestione-utenze?{query}")
    }
}

/// The Italian name of an outbox delivery state.
fn delivery_label(state: Option<MessageState>) -> &'static str {
    state.map_or("", MessageState::label)
}

fn row_view(row: RosterRow, manager: &User, can_manage: bool) -> RowView {
    let is_other = row.user_id.is_some_and(|id| id != manager.id)
        && row.profile != Some(Profile::LegalRepresentative);
    let manage_user = can_manage && is_other;
    let name = format!(
        "{} {}",
        row.first_name.as_deref().unwrap_or(""),
        row.last_name.as_deref().unwrap_or("")
    )
    .trim()
    .to_owned();
    RowView {
        line_id: row.line_id.map(|i| i.to_string()).unwrap_or_default(),
        user_id: row.user_id.map(|i| i.to_string()).unwrap_or_default(),
        number: row.number.unwrap_or_default(),
        name,
        email: row.email.unwrap_or_default(),
        username: row.username.unwrap_or_default(),
        profile: row.profile.map_or("", Profile::label),
        state: row.state.as_str(),
        state_label: row.state.label(),
        delivery_label: delivery_label(row.delivery),
        delivery: row.delivery.map_or("", MessageState::as_str),
        can_update_line: can_manage
            && row.line_id.is_some()
            && (row.user_id.is_none()
                || (manage_user && row.state == RegistrationState::ToRegister)),
        can_register: manage_user && row.state == RegistrationState::ToRegister,
        can_register_line: can_manage
            && row.line_id.is_some()
            && row.user_id.is_none()
            && row.has_referent,
        can_resend: manage_user && row.state == RegistrationState::Pending,
        can_modify: manage_user && row.state != RegistrationState::Disabled,
        can_disable: manage_user && row.state != RegistrationState::Disabled,
        can_enable: manage_user && row.state == RegistrationState::Disabled,
        has_referent: row.has_referent,
    }
}

pub fn roster_page(
    layout: Layout,
    manager: &User,
    can_manage: bool,
    query: &RosterQuery,
    rows: Vec<RosterRow>,
    counts: &[(RegistrationState, i64)],
    flash: Option<String>,
) -> RosterPage {
    let q = query.search.clone().unwrap_or_default();
    let stato = query
        .state
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let total = counts
        .iter()
        .filter(|(s, _)| query.state.is_none_or(|f| f == *s))
        .map(|(_, n)| n)
        .sum::<i64>();
    let pages = ((total + PAGE_SIZE - 1) / PAGE_SIZE).max(1);
    let page = query.page + 1;
    let rows: Vec<RowView> = rows
        .into_iter()
        .map(|r| row_view(r, manager, can_manage))
        .collect();
    RosterPage {
        layout,
        can_manage,
        any_selectable: rows.iter().any(|r| r.can_register || r.can_register_line),
        rows,
        counts: counts
            .iter()
            .map(|(s, n)| StateCount {
                code: s.as_str(),
                label: s.label(),
                count: *n,
                selected: query.state == Some(*s),
                href: list_href(&q, s.as_str(), 1),
            })
            .collect(),
        total,
        prev_href: (page > 1).then(|| list_href(&q, &stato, page - 1)),
        next_href: (page < pages).then(|| list_href(&q, &stato, page + 1)),
        q,
        stato,
        page,
        pages,
        flash,
    }
}

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
    pub profiles: Vec<(&'static str, &'static str)>,
}

fn profiles() -> Vec<(&'static str, &'static str)> {
    Profile::ASSIGNABLE
        .iter()
        .map(|p| (p.as_str(), p.label()))
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
    }
}

/// The Aggiorna form of a line: the saved user's data, else the contract referent's.
pub fn line_prefill(line: &Line, saved: Option<&User>) -> UserForm {
    match saved {
        Some(u) => UserForm {
            mobile: line.number.clone(),
            email: u.email.clone(),
            username: u.username.clone(),
            profile: u.profile.as_str().to_owned(),
            first_name: u.first_name.clone(),
            last_name: u.last_name.clone(),
        },
        None => UserForm {
            mobile: line.number.clone(),
            email: line.referent_email.clone().unwrap_or_default(),
            username: line.referent_email.clone().unwrap_or_default(),
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
            line.number
        )
    } else {
        format!(
            "Linea {}: inserisci i dati del dipendente che la usa, poi conferma.",
            line.number
        )
    };
    UserFormPage {
        layout,
        title: format!("Aggiorna la linea {}", line.number),
        action: format!("/area-clienti/gestione-utenze/linee/{}/aggiorna", line.id),
        intro,
        form,
        errors,
        is_add: false,
        show_mobile: false,
        show_names: true,
        username_editable: true,
        profiles: profiles(),
    }
}

pub fn modify_page(
    layout: Layout,
    user: &User,
    form: UserForm,
    errors: FormErrors,
) -> UserFormPage {
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
    }
}

pub struct AuditView {
    pub when: String,
    pub actor: String,
    pub subject: String,
    pub action: String,
    pub details: String,
    pub client_addr: String,
}

#[derive(Template, WebTemplate)]
#[template(path = "user_management/audit.html")]
pub struct AuditPage {
    pub layout: Layout,
    pub events: Vec<AuditView>,
    pub page: i64,
    pub prev_href: Option<String>,
    pub next_href: Option<String>,
}

/// `rows` holds one more than a page when there is a next page.
pub fn audit_page(
    layout: Layout,
    mut rows: Vec<CompanyAuditRow>,
    page: i64,
    page_size: usize,
) -> AuditPage {
    let has_next = rows.len() > page_size;
    rows.truncate(page_size);
    let href = |p: i64| format!("/area-clienti/gestione-utenze/registro?pagina={p}");
    let format = time::macros::format_description!("[day]/[month]/[year] [hour]:[minute]:[second]");
    AuditPage {
        layout,
        events: rows
            .into_iter()
            .map(|r| AuditView {
                when: r.created_at.format(&format).unwrap_or_default(),
                actor: r.actor_label,
                subject: r.subject_username.unwrap_or_default(),
                action: r.action.to_string(),
                details: if r.details.as_object().is_some_and(|o| o.is_empty()) {
                    String::new()
                } else {
                    r.details.to_string()
                },
                client_addr: r.client_addr.unwrap_or_default(),
            })
            .collect(),
        page,
        prev_href: (page > 1).then(|| href(page - 1)),
        next_href: has_next.then(|| href(page + 1)),
    }
}
