//! The view of the Gestione Utenze list, built from roster rows; the buttons of each row
//! come from the one permission source (`user_management::allowed_actions`).

use askama::Template;
use askama_web::WebTemplate;

use time::OffsetDateTime;

use super::roster_view::RosterView;
use crate::db::roster::{RosterQuery, RosterRow};
use crate::db::users::User;
use crate::domain::{PhoneNumber, Profile, RegistrationState};
use crate::user_management::{
    Actions, Target, allowed_actions, allowed_line_actions, can_import, can_manage,
};
use crate::web::invitations::{self, InvitationView};
use crate::web::kit::{Page, PageLinks};
use crate::web::pages::Layout;

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
    /// The latest username email (`None`: never sent one).
    pub invitation: Option<InvitationView>,
    /// Which buttons the row offers (only to the legal representative).
    pub can_update_line: bool,
    pub can_register: bool,
    /// A line "Da registrare" with a contract referent: selectable for "Registra i selezionati".
    pub can_register_line: bool,
    pub can_resend: bool,
    /// Modifica (where Disabilita and Termina sessioni are too); a row that offers Aggiorna
    /// shows that instead.
    pub can_modify: bool,
    pub can_enable: bool,
    pub has_referent: bool,
}

/// The buttons a row may show that can be its main one (drawn as a button, the others
/// as links): the next step for the row, in this order of precedence.
#[derive(Clone, Copy, PartialEq, Eq)]
pub enum RowAction {
    Register,
    Resend,
    UpdateLine,
    Enable,
}

impl RowView {
    /// The username is shown under the e-mail only when it is not the same address (the
    /// advice is to use the e-mail as username, so usually it is).
    pub fn username_differs(&self) -> bool {
        !self.username.eq_ignore_ascii_case(&self.email)
    }

    fn main_action(&self) -> Option<RowAction> {
        [
            (self.can_register, RowAction::Register),
            (self.can_resend, RowAction::Resend),
            (self.can_update_line, RowAction::UpdateLine),
            (self.can_enable, RowAction::Enable),
        ]
        .into_iter()
        .find_map(|(offered, action)| offered.then_some(action))
    }

    /// Whether `action` is this row's next step (drawn as a button, the others as links).
    pub fn is_main(&self, action: RowAction) -> bool {
        self.main_action() == Some(action)
    }
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
    /// "Importa da CSV" on the toolbar.
    pub can_import: bool,
    pub rows: Vec<RowView>,
    pub counts: Vec<StateCount>,
    pub total: i64,
    pub q: String,
    pub stato: String,
    pub pages: i64,
    pub pagination: PageLinks,
    pub flash: Option<String>,
    pub any_selectable: bool,
    /// The view the list's forms carry back (hidden fields) after an action.
    pub view: RosterView,
    /// Every selectable row comes checked ("Seleziona tutti i Da registrare").
    pub all_selected: bool,
    /// The same list with every row "Registra i selezionati" can take checked.
    pub select_all_href: String,
    /// `?q=…` for links that leave the list (Modifica, Aggiorna), "" on the default view.
    pub back: String,
}

fn row_view(row: RosterRow, manager: &User, now: OffsetDateTime) -> RowView {
    // The buttons are what the permission source allows, nothing decided here.
    let user = row.user_id.zip(row.profile).map(|(id, profile)| Target {
        id,
        profile,
        state: row.state,
    });
    let actions = user.map_or_else(Actions::default, |t| allowed_actions(manager, t));
    let line_actions = allowed_line_actions(manager, row.has_referent);
    let free_line = row.line_id.is_some() && row.user_id.is_none();
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
        number: row
            .number
            .as_ref()
            .map(PhoneNumber::grouped)
            .unwrap_or_default(),
        name,
        email: row
            .email
            .as_ref()
            .map(ToString::to_string)
            .unwrap_or_default(),
        username: row.username.unwrap_or_default(),
        profile: row.profile.map_or("", Profile::label),
        state: row.state.as_str(),
        state_label: row.state.label(),
        // Once active, the username e-mail is history (shown on the Modifica page).
        invitation: row
            .invitation
            .get()
            .filter(|_| row.state != RegistrationState::Active)
            .map(|inv| invitations::latest(inv, row.state, now)),
        can_update_line: (free_line && line_actions.update)
            || (row.line_id.is_some() && actions.update_line),
        can_register: actions.register,
        can_register_line: free_line && line_actions.register_from_referent,
        can_resend: actions.resend,
        can_modify: actions.modify,
        can_enable: actions.enable,
        has_referent: row.has_referent,
    }
}

/// `now`: the portal's clock, which the links of the username emails expire by.
#[allow(clippy::too_many_arguments)] // the page's parts, each from its own query
pub fn roster_page(
    layout: Layout,
    manager: &User,
    now: OffsetDateTime,
    page: Page,
    query: &RosterQuery,
    rows: Vec<RosterRow>,
    counts: &[(RegistrationState, i64)],
    flash: Option<String>,
    all_selected: bool,
) -> RosterPage {
    let q = query.search.clone().unwrap_or_default();
    let stato = query
        .state
        .map(|s| s.as_str().to_owned())
        .unwrap_or_default();
    let view = RosterView {
        q: q.clone(),
        stato: stato.clone(),
        pagina: page.number.to_string(),
    };
    let with_filter = |state: &str| RosterView {
        q: q.clone(),
        stato: state.to_owned(),
        pagina: String::new(),
    };
    let total = counts
        .iter()
        .filter(|(s, _)| query.state.is_none_or(|f| f == *s))
        .map(|(_, n)| n)
        .sum::<i64>();
    let pages = page.count_for(total);
    let rows: Vec<RowView> = rows
        .into_iter()
        .map(|r| row_view(r, manager, now))
        .collect();
    RosterPage {
        layout,
        can_manage: can_manage(manager),
        can_import: can_import(manager),
        any_selectable: rows.iter().any(|r| r.can_register || r.can_register_line),
        rows,
        counts: counts
            .iter()
            .map(|(s, n)| StateCount {
                code: s.as_str(),
                label: s.label(),
                count: *n,
                selected: query.state == Some(*s),
                href: with_filter(s.as_str()).href(),
            })
            .collect(),
        total,
        pagination: page.links(page.number < pages, |n| view.at_page(n).href()),
        select_all_href: {
            let mut href = view.href();
            href.push(if href.contains('?') { '&' } else { '?' });
            href.push_str("seleziona=");
            href.push_str(super::SELECT_ALL);
            href
        },
        all_selected,
        back: view.suffix(),
        view,
        q,
        stato,
        pages,
        flash,
    }
}
